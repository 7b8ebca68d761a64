"""Scenario l: message search over a million messages in ten thousand conversations, on SQLite and on PostgreSQL.

The server's own time for ``search.search_messages`` (the service the search page calls), called from here on the
scenario's database as scenarios e and j measure it, for a mix of queries from people in many conversations and
from people in few: common words (in half the messages), middling ones, rare ones, two- and three-word queries and
words that are nowhere. The world is written in bulk (``bench/search_seed.py``).
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from bench.measure import latency_figures
from bench.search_seed import Layout, SearchWorld
from bench.search_seed import seed as seed_world
from bench.setup import Services, world
from bench.usage import named
from chatapp.errors import Invalid
from chatapp.services import search
from chatapp.services.tx import ServiceRunner

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale


async def scenario_l(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    layout = Layout(messages=scale.l_messages, conversations=scale.l_conversations, people=scale.l_people,
                    hubs=scale.l_hubs, directs_per_hub=scale.l_directs_per_hub)
    row: Row = {'messages': layout.messages, 'conversations': layout.conversations}
    backends = [('sqlite', False)] + ([('postgres', True)] if services.postgres_url else [])
    for name, postgres in [(name, postgres) for name, postgres in backends if name in services.search_backends]:
        w = world(services, f'l-{name}', postgres=postgres)
        row |= named(name, w.seed(lambda runner: _measure(runner, layout, scale.l_searches)))
    return row


def _measure(runner: ServiceRunner, layout: Layout, searches: int) -> Row:
    started = time.perf_counter()
    found = seed_world(runner, layout, random.Random(1))
    seeded = time.perf_counter() - started
    queries = mix(found, searches, random.Random(2))
    for actor_id, query in queries[:10]:  # warm the caches; not counted
        _search(runner, actor_id, query)
    times, hits = [], 0
    for actor_id, query in queries:
        started = time.perf_counter()
        hits += _search(runner, actor_id, query)
        times.append((time.perf_counter() - started) * 1000)
    return {'seed_s': round(seeded), 'searches': len(times), 'hits': hits, **latency_figures(sorted(times))}


def mix(found: SearchWorld, count: int, rng: random.Random) -> list[tuple[int, str]]:
    """``count`` (person, query) pairs: half from people in many conversations, half from people in few; a fifth
    each common, middling, rare, several words, and nowhere."""
    words = found.vocabulary
    kinds = [
        lambda: rng.choice(words[:20]),
        lambda: rng.choice(words[100:1000]),
        lambda: rng.choice(words[5000:]),
        lambda: ' '.join(rng.sample(words[:2000], rng.randint(2, 3))),
        lambda: f'zz{rng.randrange(10**6)}',
    ]
    people = found.hub_ids, found.casual_ids
    return [(rng.choice(people[n % 2]), kinds[(n // 2) % len(kinds)]()) for n in range(count)]


def _search(runner: ServiceRunner, actor_id: int, query: str) -> int:
    try:
        page, _ = runner.run_sync(search.search_messages, actor_id=actor_id, query=query)
    except Invalid:
        return 0
    return len(page.hits)



