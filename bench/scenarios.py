"""The scenarios of docs/benchmarks.md, each on a fresh app, each returning one row of figures.

``Scale`` holds every count and duration: ``FULL`` is what the targets are stated for, ``SMOKE`` is the test suite's
tiny run that only proves the tool still works end to end (nothing lost, nothing duplicated).
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from bench import seed
from bench.churn import scenario_i
from bench.first_visit import scenario_v
from bench.flood import flooder as flood_client
from bench.group_chat import scenario_k
from bench.inbox import scenario_j
from bench.load import chatting_pairs, close_all, closed_loop, open_chats, open_loop, warm_up
from bench.measure import Deliveries, latency_figures
from bench.person import Person
from bench.pictures import scenario_n
from bench.resting import scenario_r
from bench.search import scenario_l
from bench.setup import Services, World, measured, running, world
from bench.typist import scenario_t
from bench.uploads import scenario_m
from bench.usage import cpu_use, gc_pauses, named
from chatapp.security.limiter import parse_rates
from chatapp.services import conversations
from chatapp.services.users import find_by_username
from chatapp.settings import Settings

Row = dict[str, Any]


@dataclass(frozen=True)
class Scale:
    a_messages: int = 200
    warmup_messages: int = 20
    b_pairs: int = 50
    b_rate: float = 500
    b_seconds: float = 30
    c_seconds: float = 20
    d_pairs: int = 500
    d_rate: float = 200
    d_seconds: float = 30
    d_history: int = 50
    d_idle_seconds: float = 10
    e_history: int = 100_000
    e_repeats: int = 20
    g_logins_per_second: float = 20
    h_pairs: int = 50
    h_rate: float = 100
    h_seconds: float = 30
    h_flood_messages: int = 3000
    h_flood_clicks: int = 3000
    settle_seconds: float = 12
    """Long enough for NiceGUI to delete the login pages people navigated away from (reconnect timeout 10 s)."""
    k_members: int = 100
    k_rate: float = 2
    k_seconds: float = 30
    i_online: int = 1000
    i_spare: int = 100
    """People offline at any moment: each one who leaves comes back ``i_spare / i_churn_per_second`` s later."""
    i_span: int = 2
    """Each of the crowd is friends (with a direct chat) with the ``i_span`` next and previous people of a circle."""
    i_churn_per_second: float = 10
    i_churn_lead_seconds: float = 5
    j_conversations: int = 500
    j_groups: int = 20
    j_repeats: int = 20
    j_memory_people: int = 200
    j_memory_span: int = 25
    """Each person of the memory half of j has ``2 * j_memory_span`` conversations (50 inbox rows)."""
    v_visits: int = 100
    """First visits of new browsers in scenario v."""
    t_pairs: int = 20
    t_seconds: float = 60
    t_cps: float = 6
    """Characters a second a person types (messages of 10-80 characters)."""
    t_idle_seconds: float = 10
    l_messages: int = 1_000_000
    l_conversations: int = 10_000
    l_people: int = 2_000
    l_hubs: int = 20
    """People in many conversations (about 300 each); as many others in few are searchers too."""
    l_directs_per_hub: int = 50
    l_searches: int = 400
    m_upload_bytes: int = 10_000_000
    m_uploads_per_second: float = 1


FULL = Scale()
SMOKE = Scale(a_messages=10, warmup_messages=2, b_pairs=2, b_rate=20, b_seconds=1, c_seconds=1, d_pairs=3, d_rate=20,
              d_seconds=1, d_history=50, d_idle_seconds=0.5, e_history=300, e_repeats=2, g_logins_per_second=5,
              h_pairs=2, h_rate=10, h_seconds=2, h_flood_messages=300, h_flood_clicks=300, settle_seconds=0.5,
              k_members=4, k_rate=4, k_seconds=1, i_online=6, i_spare=3, i_span=1, i_churn_per_second=3,
              i_churn_lead_seconds=1, j_conversations=55, j_groups=3, j_repeats=2, j_memory_people=6,
              j_memory_span=2, t_pairs=2, t_seconds=3, t_cps=40, t_idle_seconds=0.5,
              l_messages=3000, l_conversations=60, l_people=40, l_hubs=3, l_directs_per_hub=4, l_searches=20,
              m_upload_bytes=200_000, m_uploads_per_second=4, v_visits=3)


async def scenario_a(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """One pair at 20 messages a second."""
    w = world(services, 'a')
    return await _pairs_at_rate(services, w, 'a', pairs=1, rate=20, count=scale.a_messages, scale=scale)


async def scenario_b(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """50 pairs offered 500 messages a second."""
    w = world(services, 'b')
    return await _pairs_at_rate(services, w, 'b', pairs=scale.b_pairs, rate=scale.b_rate,
                                count=int(scale.b_rate * scale.b_seconds), scale=scale)


async def scenario_c(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """50 pairs, each sending its next message the moment the previous one arrived."""
    async with chatting_pairs(services, 'c', scale.b_pairs, scale.warmup_messages) as (app, chats, deliveries):
        with measured(services, [app], 'c'), cpu_use(app) as cpu:
            seconds = await closed_loop(chats, deliveries, scale.c_seconds, 'c')
    row = deliveries.summary()
    return {'delivered_per_s': round(row['delivered'] / seconds, 1), **row, **cpu.per_message(row['delivered'])}


async def scenario_d(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """500 pairs on 1,000 open chat pages that show 50 messages each, 200 messages a second in all; memory per open
    chat page is the growth of the server's RSS from the first half of the pages to all of them, divided by the
    second half's count (both halves made the same way, so what the login pages leave behind cancels out)."""
    w = world(services, 'd')

    def make(runner: Any) -> list[seed.Pair]:
        pairs = seed.make_pairs(runner, scale.d_pairs)
        for pair in pairs:
            seed.make_history(runner, pair, scale.d_history)
        return pairs

    pairs = w.seed(make)
    with running(services, w) as apps:
        app = apps[0]
        deliveries = Deliveries()
        half = len(pairs) // 2
        chats = await open_chats(pairs[:half], [app.base_url], deliveries)
        try:
            await asyncio.sleep(scale.settle_seconds)
            first = app.rss_bytes()
            chats += await open_chats(pairs[half:], [app.base_url], deliveries)
            await asyncio.sleep(scale.settle_seconds)
            second = app.rss_bytes()
            with cpu_use(app) as idle:
                await asyncio.sleep(scale.d_idle_seconds)
            shown = [chat.a.tab.page.count('message') for chat in chats if chat.a.tab.page]
            with measured(services, apps, 'd'), cpu_use(apps[0]) as cpu, gc_pauses(apps[0]) as pauses:
                await open_loop(chats, deliveries, scale.d_rate, int(scale.d_rate * scale.d_seconds), 'd')
        finally:
            await close_all(chats)
    pages = 2 * (len(pairs) - half)
    row = deliveries.summary()
    return {**row, **cpu.per_message(row['delivered']), 'open_pages': 2 * len(pairs), 'messages_shown_min': min(shown),
            'kb_per_page': round((second - first) / pages / 1024, 1), 'rss_mb': round(second / 2**20, 1),
            'idle_cpu_pct': round(100 * idle.server / scale.d_idle_seconds, 1), **pauses.figures()}


async def scenario_e(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """A conversation of 100,000 messages: open the chat page until it shows the newest 50, then load the previous
    50; each repeated, on a fresh page each time, as a browser sees it. Beside it, the server's own time for the
    same two reads (the services that the page calls, on the app's database)."""
    w = world(services, 'e')
    pair = w.seed(lambda runner: _history_pair(runner, scale.e_history))
    opens: list[float] = []
    earlier_pages: list[float] = []
    with running(services, w) as apps:
        person = Person(apps[0].base_url, pair.a)
        try:
            await person.open_chat(pair.b)
            with measured(services, apps, 'e'):
                await _open_and_page_back(person, pair, scale.e_repeats, opens, earlier_pages)
        finally:
            await person.close()
    server_opens, server_pages = w.seed(lambda runner: _read_times(runner, pair, scale.e_repeats))
    return {'messages': scale.e_history, 'repeats': scale.e_repeats,
            **named('server_open', latency_figures(server_opens)),
            **named('server_previous', latency_figures(server_pages)),
            **named('open', latency_figures(sorted(opens))),
            **named('previous', latency_figures(sorted(earlier_pages)))}


def _read_times(runner: Any, pair: seed.Pair, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds for the newest page (``open_direct``) and the one before it (``messages_before``)."""
    user = runner.run_sync(lambda tx: find_by_username(tx.session, pair.a))[0]
    opens, pages = [], []
    for _ in range(repeats + 1):  # the first of each warms the caches and is not counted
        started = time.perf_counter()
        info, _ = runner.run_sync(conversations.open_direct, actor_id=user.id, peer_username=pair.b)
        opens.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        runner.run_sync(conversations.messages_before, actor_id=user.id, conversation_id=info.conversation_id,
                        before_seq=info.messages[0].seq)
        pages.append((time.perf_counter() - started) * 1000)
    return sorted(opens[1:]), sorted(pages[1:])


async def _open_and_page_back(person: Person, pair: seed.Pair, repeats: int, opens: list[float],
                              earlier_pages: list[float]) -> None:
    for _ in range(repeats):
        started = time.perf_counter()
        await person.tab.goto(f'/chat/{pair.b}')
        await person.tab.wait_until(lambda page: page.count('message') >= 50, what='the newest 50')
        opens.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await person.tab.click('load-earlier')
        await person.tab.wait_until(lambda page: page.count('message') >= 100, what='the previous 50')
        earlier_pages.append((time.perf_counter() - started) * 1000)


async def scenario_f(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """Scenario b's load on two processes sharing PostgreSQL and Redis; each pair's people on different processes."""
    w = world(services, 'f', postgres=True)
    pairs = w.seed(lambda runner: seed.make_pairs(runner, scale.b_pairs))
    with running(services, w, count=2) as apps:
        deliveries = Deliveries()
        chats = await open_chats(pairs, [app.base_url for app in apps], deliveries)
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            with measured(services, apps, 'f'), cpu_use(*apps) as cpu:
                offered = await open_loop(chats, deliveries, scale.b_rate, int(scale.b_rate * scale.b_seconds), 'f')
        finally:
            await close_all(chats)
    row = deliveries.summary()
    row = {**row, 'offered_per_s': round(offered, 1), **cpu.per_message(row['delivered'])}
    if (b := earlier.get('b')) and b.get('p99_ms') and row['p99_ms'] is not None:
        row['p99_vs_b'] = round(row['p99_ms'] / b['p99_ms'], 2)
    return row


async def scenario_g(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """Scenario a while 20 people a second log in through the login page (each a new browser)."""
    w = world(services, 'g')
    count = scale.a_messages
    seconds = count / 20
    logins = int(scale.g_logins_per_second * seconds)
    names = [f'login{i}' for i in range(logins)]

    def make(runner: Any) -> list[seed.Pair]:
        seed.make_users(runner, names)
        return seed.make_pairs(runner, 1)

    pairs = w.seed(make)
    login_times: list[float] = []
    with running(services, w) as apps:
        url = apps[0].base_url

        async def log_in(name: str) -> None:
            person = Person(url, name)
            try:
                started = time.perf_counter()
                await person.log_in('/')
                await person.tab.wait_for('whoami')
                login_times.append((time.perf_counter() - started) * 1000)
            finally:
                await person.close()

        async def arrivals() -> None:
            tasks = []
            started = time.perf_counter()
            for i, name in enumerate(names):
                await asyncio.sleep(max(0.0, started + i / scale.g_logins_per_second - time.perf_counter()))
                tasks.append(asyncio.create_task(log_in(name)))
            await asyncio.gather(*tasks)

        deliveries = Deliveries()
        chats = await open_chats(pairs, [url], deliveries)
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            with measured(services, apps, 'g'), cpu_use(apps[0]) as cpu:
                await asyncio.gather(open_loop(chats, deliveries, 20, count, 'g'), arrivals())
        finally:
            await close_all(chats)
    row = deliveries.summary()
    row = {**row, **cpu.per_message(row['delivered']), 'logins': len(login_times),
           **named('login', latency_figures(sorted(login_times)))}
    if (a := earlier.get('a')) and a.get('p99_ms') and row['p99_ms'] is not None:
        row['p99_vs_a'] = round(row['p99_ms'] / a['p99_ms'], 2)
    return row


async def scenario_h(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """Flood: 50 pairs at 100 messages a second in all while one signed-in client sends 3,000 messages and 3,000
    clicks as fast as its socket takes them, after the same 50 pairs alone (the baseline). Both on a fresh app with
    the app's default limits, which are what this measures: the honest pairs' latency, what of the flood was stored,
    and whether the flooding socket was closed."""
    alone = await _flood_run(services, scale, 'h-alone', flood=False)
    flooded = await _flood_run(services, scale, 'h', flood=True)
    row = {**flooded, **named('alone', {key: alone[key] for key in ('lost', 'duplicated', 'p50_ms', 'p99_ms')})}
    if row['p99_ms'] is not None and alone['p99_ms']:
        row['p99_vs_alone'] = round(row['p99_ms'] / alone['p99_ms'], 2)
    return row


Scenario = Callable[[Services, Scale, dict[str, Row]], Awaitable[Row]]
SCENARIOS: dict[str, Scenario] = {'a': scenario_a, 'b': scenario_b, 'c': scenario_c, 'd': scenario_d,
                                  'e': scenario_e, 'f': scenario_f, 'g': scenario_g, 'h': scenario_h,
                                  'i': scenario_i, 'j': scenario_j, 'k': scenario_k, 't': scenario_t,
                                  'l': scenario_l, 'm': scenario_m, 'n': scenario_n,
                                  'r': scenario_r, 'v': scenario_v}
"""Issue 8's benchmarks h, i and j are k, i and j here: this tool's h was issue 7's flood. t: people typing.
l: issue 10's message search. m: issue 10's uploads beside scenario a (the issue's "k"). n: issue 10's memory per
page with pictures and reactions (the issue's "m"). r: issue 9's memory of a page once it rests
(``pages.dormancy``). v: a new browser's first visit, NiceGUI's files included."""


async def _flood_run(services: Services, scale: Scale, label: str, *, flood: bool) -> Row:
    """Scenario h's honest pairs at ``h_rate``, with the flooding client (``bench/flood.py``) going at the moment
    their load starts, or without it."""
    w = world(services, label)
    pairs, flooding = w.seed(lambda runner: (seed.make_pairs(runner, scale.h_pairs),
                                             seed.make_pairs(runner, 1, prefix='flood')[0]))
    count = int(scale.h_rate * scale.h_seconds)
    report: Row = {}
    with running(services, w, default_limits=True) as apps:
        url = apps[0].base_url
        deliveries = Deliveries()
        chats = await open_chats(pairs, [url], deliveries)
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            async with AsyncExitStack() as stack:
                flooder = await stack.enter_async_context(
                    flood_client(url, flooding.a, flooding.b, scale.h_flood_messages, scale.h_flood_clicks)) \
                    if flood else None
                with measured(services, apps, label), cpu_use(apps[0]) as cpu:
                    started = time.perf_counter()
                    if flooder is not None:
                        await flooder.go()
                    await open_loop(chats, deliveries, scale.h_rate, count, label)
                if flooder is not None:  # its page stays open until the app has stored what it will of the flood
                    stored = await asyncio.to_thread(w.seed, lambda runner: seed.settled_count(runner, flooding.a))
                    report = {**named('flood', await flooder.stop()), 'flood_stored': stored,
                              'flood_allowed': messages_allowed(time.perf_counter() - started)}
        finally:
            await close_all(chats)
    return {**deliveries.summary(), **cpu.per_message(len(deliveries.arrived)), **report}


async def _pairs_at_rate(services: Services, w: World, label: str, *, pairs: int, rate: float, count: int,
                         scale: Scale) -> Row:
    made = w.seed(lambda runner: seed.make_pairs(runner, pairs))
    with running(services, w) as apps:
        deliveries = Deliveries()
        chats = await open_chats(made, [apps[0].base_url], deliveries)
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            with measured(services, apps, label), cpu_use(apps[0]) as cpu:
                offered = await open_loop(chats, deliveries, rate, count, label)
        finally:
            await close_all(chats)
    row = deliveries.summary()
    return {**row, 'offered_per_s': round(offered, 1), **cpu.per_message(row['delivered'])}


def messages_allowed(seconds: float) -> int:
    """The most messages one account can store in ``seconds`` under the app's default message limit: each rate
    lets its count through at once, then one every interval (GCRA, ``chatapp.security.limiter``)."""
    rates = parse_rates(Settings.model_fields['limit_messages'].default)
    return min((rate.count + math.floor(seconds / rate.interval) for rate in rates), default=sys.maxsize)


def _history_pair(runner: Any, count: int) -> seed.Pair:
    pair = seed.make_pairs(runner, 1)[0]
    seed.make_history(runner, pair, count)
    return pair


