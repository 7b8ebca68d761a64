"""Scenario j: the inbox of a busy person, and what a page with an inbox pane costs.

- Opening ``/`` for a person with 500 conversations (direct chats with a message each, and a few groups): in the
  browser, from the request until the page shows 50 rows, on a fresh page each time; and the server's own time for
  what the page reads on open (as scenario e measures it: the same services, called from here on the app's
  database once the app has stopped, the first call of each not counted).
- Memory: people who each have 50 conversations (a circle of friends, a direct chat with each) open the chat with
  their neighbour, which has 50 messages: pages of 50 inbox rows and 50 messages. Server RSS growth from the first
  half of these pages to all of them, divided by the second half's count, as scenario d measures it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bench import crowd, seed
from bench.measure import latency_figures
from bench.page import Page
from bench.person import Person
from bench.setup import Services, measured, running, world
from bench.tab import loopback
from bench.usage import named
from chatapp.services import inbox, presence
from chatapp.services.tx import ServiceRunner

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

ROW = 'inbox-row'
SHOWN = 50
MEMORY_STEPS = 8
"""Readings of RSS while the second half of the pages opens (and one before): the figure is their slope."""
"""Rows the inbox shows before "load more", and messages a chat page shows."""


async def scenario_j(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    opening = await _open_inbox(services, scale)
    memory = await _memory(services, scale)
    return {**opening, **memory}


async def _open_inbox(services: Services, scale: Scale) -> Row:
    w = world(services, 'j')
    directs = scale.j_conversations - scale.j_groups

    def make(runner: ServiceRunner) -> crowd.Someone:
        owner, *friends = crowd.people(runner, ['j0'] + [f'jf{i}' for i in range(directs)])
        crowd.befriend(runner, [(owner, friend) for friend in friends])
        for i in range(scale.j_groups):
            pair = [friends[(2 * i) % len(friends)], friends[(2 * i + 1) % len(friends)]]
            crowd.group(runner, owner, f'Group {i}', pair)
        for i, friend in enumerate(friends):  # every other one unread
            sender, peer = (friend, owner) if i % 2 else (owner, friend)
            crowd.direct_chat(runner, sender, peer, f'message {i} from {sender.username}')
        return owner

    owner = w.seed(make)
    opens: list[float] = []
    with running(services, w) as apps:
        person = Person(apps[0].base_url, owner.username)
        try:
            await person.log_in('/')
            await person.tab.wait_until(lambda page: page.count(ROW) >= SHOWN, what=f'{SHOWN} inbox rows')
            with measured(services, apps, 'j'):
                for _ in range(scale.j_repeats):
                    started = time.perf_counter()
                    await person.tab.goto('/')
                    await person.tab.wait_until(lambda page: page.count(ROW) >= SHOWN, what=f'{SHOWN} inbox rows')
                    opens.append((time.perf_counter() - started) * 1000)
            rows = person.tab.page.count(ROW) if person.tab.page else 0
        finally:
            await person.close()
    server = w.seed(lambda runner: _read_times(runner, owner, scale.j_repeats))
    return {'conversations': scale.j_conversations, 'rows_shown': rows, **server,
            **named('open', latency_figures(sorted(opens)))}


def _read_times(runner: ServiceRunner, owner: crowd.Someone, repeats: int) -> Row:
    """Milliseconds for what the inbox page reads when it opens: its first page of rows (``inbox_page``) and the
    last-seen times of the direct peers on it (``visible_presence``, under the live presence the page asks for)."""
    totals, pages, presences = [], [], []
    for _ in range(repeats + 1):  # the first warms the caches and is not counted
        started = time.perf_counter()
        page = runner.run_sync(inbox.inbox_page, actor_id=owner.id)[0]
        read = time.perf_counter()
        peers = [row.peer.id for row in page.rows if row.peer is not None]
        runner.run_sync(presence.visible_presence, actor_id=owner.id, user_ids=peers)
        done = time.perf_counter()
        totals.append((done - started) * 1000)
        pages.append((read - started) * 1000)
        presences.append((done - read) * 1000)
    return {**named('server_open', latency_figures(sorted(totals[1:]))),
            **named('server_inbox', latency_figures(sorted(pages[1:]))),
            **named('server_presence', latency_figures(sorted(presences[1:])))}


async def _memory(services: Services, scale: Scale) -> Row:
    return await page_memory(services, scale, 'j-memory')


Decorate = Callable[[ServiceRunner, int], None]
"""Adds to a seeded conversation (its id) what the pages measured must show besides its 50 messages."""


Opened = Callable[[Person], Awaitable[None]]
"""What the person does with a page once it shows (turns away from it, say) before it counts as open."""
Finish = Callable[[list[tuple[Person, str]]], Awaitable['Row']]
"""Checks made on the open pages after the last reading (their figures join the row)."""


async def page_memory(services: Services, scale: Scale, label: str, decorate: Decorate | None = None,
                      shown: Callable[[Page], bool] = lambda page: True, *, opened: Opened | None = None,
                      finish: Finish | None = None, settings: dict[str, str] | None = None) -> Row:
    """Server memory per open chat page with an inbox pane of 50 rows and 50 messages (``decorate`` adds to each
    conversation; a page counts as open once ``shown`` holds of it too, and ``opened`` has run): the slope of the
    server's RSS while the second half of the pages opens, after the first half has filled the caches that do not
    grow with pages. ``settings`` are ``CHATAPP_*`` variables for the app."""
    w = world(services, label)
    names = [f'm{i}' for i in range(scale.j_memory_people)]

    def make(runner: ServiceRunner) -> list[seed.Pair]:
        people = crowd.people(runner, names)
        neighbours = crowd.ring(people, scale.j_memory_span)
        crowd.befriend(runner, neighbours)
        pairs = [seed.Pair(people[i].username, people[i + 1].username) for i in range(0, len(people) - 1, 2)]
        for pair in pairs:
            conversation_id = seed.make_history(runner, pair, SHOWN)
            if decorate is not None:
                decorate(runner, conversation_id)
        paired = {(pair.a, pair.b) for pair in pairs}
        for a, b in neighbours:
            if (a.username, b.username) not in paired and (b.username, a.username) not in paired:
                crowd.direct_chat(runner, a, b, f'hello {b.username}')
        return pairs

    pairs = w.seed(make)
    with running(services, w, settings=settings) as apps:
        app = apps[0]
        people = [(Person(app.base_url, name, loopback(i)), peer) for i, pair in enumerate(pairs)
                  for name, peer in ((pair.a, pair.b), (pair.b, pair.a))]
        half = 2 * (len(pairs) // 2)
        steps = [half + (len(people) - half) * step // MEMORY_STEPS for step in range(MEMORY_STEPS + 1)]
        samples: list[tuple[int, int]] = []
        try:
            await _open_chats(people[:half], shown, opened)
            for start, end in itertools.pairwise(steps):
                await asyncio.sleep(scale.settle_seconds)
                samples.append((start, app.rss_bytes()))
                await _open_chats(people[start:end], shown, opened)
            await asyncio.sleep(scale.settle_seconds)
            samples.append((len(people), app.rss_bytes()))
            pages = [person.tab.page for person, _ in people if person.tab.page]
            shows: Row = {'memory_rows_min': min(page.count(ROW) for page in pages),
                          'memory_messages_min': min(page.count('message') for page in pages)}
            if finish is not None:
                shows = await finish(people)
        finally:
            await asyncio.gather(*(person.close() for person, _ in people), return_exceptions=True)
    return {'memory_pages': len(people), **shows,
            'kb_per_page': round(slope(samples) / 1024, 1), 'rss_mb': round(samples[-1][1] / 2**20, 1),
            'rss_steps_mb': [round(rss / 2**20, 1) for _, rss in samples]}


def slope(samples: Sequence[tuple[int, int]]) -> float:
    """Bytes a page by least squares over ``(pages, RSS)``: one pair of readings moved by 70 KB a page between runs
    (the allocator's arenas and the process's caches grow in steps), several readings along the way move less."""
    if len(samples) < 2 or len({pages for pages, _ in samples}) < 2:
        return 0.0
    mean_x = sum(pages for pages, _ in samples) / len(samples)
    mean_y = sum(rss for _, rss in samples) / len(samples)
    spread = sum((pages - mean_x) ** 2 for pages, _ in samples)
    return sum((pages - mean_x) * (rss - mean_y) for pages, rss in samples) / spread


async def _open_chats(people: list[tuple[Person, str]], shown: Callable[[Page], bool],
                      opened: Opened | None = None) -> None:
    gate = asyncio.Semaphore(4)

    async def open_one(person: Person, peer: str) -> None:
        async with gate:
            await person.open_chat(peer)
            await whole(person, shown)
            if opened is not None:
                await opened(person)

    await asyncio.gather(*(open_one(person, peer) for person, peer in people))



async def whole(person: Person, shown: Callable[[Page], bool] = lambda page: True) -> None:
    """Wait until the person's chat page shows its inbox pane and 50 messages (and ``shown`` holds)."""
    await person.tab.wait_until(lambda page: page.count(ROW) >= 1 and page.count('message') >= SHOWN
                                and shown(page), what='the inbox pane and 50 messages')
