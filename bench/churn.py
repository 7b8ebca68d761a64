"""Scenario i: scenario a's pair at 20 messages a second, first alone and then while 1,000 other people are online
and tabs come and go: every tenth of a second (at 10 a second) one open inbox tab closes and one person who left
earlier opens a new tab on their inbox. Each of the crowd is friends with a few others, and has a direct chat with
each of them, so every connect and every disconnect changes a presence dot on several other open pages."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench import crowd, seed
from bench.load import close_all, open_chats, open_loop, warm_up
from bench.measure import Deliveries, latency_figures
from bench.page import PageError
from bench.person import Person
from bench.setup import Services, measured, running, world
from bench.tab import Tab, loopback
from bench.usage import cpu_use, gc_pauses, named
from chatapp.services.tx import ServiceRunner

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

CROWD_NETWORK = 3
"""The crowd connects from 127.3.0.0/16 (the pair from 127.1.0.0/16)."""
INBOX = '/'
ROWS = 'inbox-block'
"""What shows that an inbox has loaded its rows (every one of the crowd has a few conversations)."""
SIGN_INS_AT_ONCE = 4
SIGN_IN_TRIES = 3


async def scenario_i(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    w = world(services, 'i')
    names = [f'o{i}' for i in range(scale.i_online + scale.i_spare)]

    def make(runner: ServiceRunner) -> list[seed.Pair]:
        pairs = seed.make_pairs(runner, 1)
        people = crowd.people(runner, names)
        partners = crowd.ring(people, scale.i_span)
        crowd.befriend(runner, partners)
        for a, b in partners:
            crowd.direct_chat(runner, a, b, f'hello {b.username}')
        return pairs

    pairs = w.seed(make)
    with running(services, w) as apps:
        url = apps[0].base_url
        deliveries = Deliveries()
        chats = await open_chats(pairs, [url], deliveries)
        people = [Person(url, name, loopback(i, CROWD_NETWORK)) for i, name in enumerate(names)]
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            with cpu_use(apps[0]) as quiet_cpu:
                await open_loop(chats, deliveries, 20, scale.a_messages, 'i-quiet')
            quiet = {**deliveries.summary(), **quiet_cpu.per_message(len(deliveries.arrived))}
            deliveries.reset()
            retries = await _sign_in(people)
            offline = people[scale.i_online:]
            await asyncio.gather(*(person.tab.close() for person in offline))
            await asyncio.sleep(scale.settle_seconds)  # login pages deleted, the spare ones shown offline
            churn = Churn(people[:scale.i_online], offline, scale.i_churn_per_second)
            async with churn.going():
                await asyncio.sleep(scale.i_churn_lead_seconds)
                with measured(services, apps, 'i'), cpu_use(apps[0]) as cpu, churn.counting() as counts, \
                        gc_pauses(apps[0]) as pauses:
                    await open_loop(chats, deliveries, 20, scale.a_messages, 'i')
        finally:
            await close_all(chats)
            await asyncio.gather(*(person.close() for person in people), return_exceptions=True)
    row = deliveries.summary()
    quiet_figures = {key: quiet[key] for key in ('lost', 'p50_ms', 'p99_ms', 'server_cpu_ms_per_msg')}
    figures: Row = {**row, **cpu.per_message(row['delivered']), 'online': scale.i_online, **counts.figures(),
                    **pauses.figures(), 'sign_in_retries': retries, **named('quiet', quiet_figures)}
    if row['p99_ms'] is not None and quiet['p99_ms']:
        figures['p99_vs_quiet'] = round(row['p99_ms'] / quiet['p99_ms'], 2)
    return figures


async def _sign_in(people: Sequence[Person]) -> int:
    """Everyone signs in to their inbox, a few at a time; one whose sign-in stalls (the server busy with a thousand
    pages) tries again in a new tab. Returns how many tries were repeated."""
    gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)
    retries = 0

    async def sign_in(person: Person) -> None:
        nonlocal retries
        for attempt in range(SIGN_IN_TRIES):
            async with gate:
                try:
                    await person.log_in(INBOX)
                    await person.tab.wait_for(ROWS)
                    return
                except PageError:
                    if attempt == SIGN_IN_TRIES - 1:
                        raise
                    retries += 1
                    await person.tab.close()
                    person.tab = person.browser.tab()

    await asyncio.gather(*(sign_in(person) for person in people))
    return retries


@dataclass
class Counts:
    """What the churn did while the pair's messages were measured."""

    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None
    connects: int = 0
    disconnects: int = 0
    failed: int = 0
    error: str = ''
    """The last failed connect's error."""
    connect_ms: list[float] = field(default_factory=list)
    crowd_updates: int = 0
    """Elements the server updated on the crowd's pages (presence dots, rows): the fan-out of the churn."""

    def figures(self) -> dict[str, Any]:
        seconds = max((self.ended or time.perf_counter()) - self.started, 1e-9)
        return {'connects_per_s': round(self.connects / seconds, 1),
                'disconnects_per_s': round(self.disconnects / seconds, 1), 'connects_failed': self.failed,
                **({'connect_error': self.error} if self.error else {}),
                'crowd_updates_per_s': round(self.crowd_updates / seconds, 1),
                **named('connect', latency_figures(sorted(self.connect_ms)))}


class Churn:
    """Tabs closing and opening at ``rate`` a second each: a random open tab closes; the person who has been
    offline longest reopens their closed inbox tab (a browser restores a reopened tab's ``sessionStorage``, so it is
    still signed in) (after a close, a person stays away ``len(offline) / rate``
    seconds, longer than the app's presence grace, so each departure is seen)."""

    def __init__(self, online: Sequence[Person], offline: Sequence[Person], rate: float) -> None:
        self.online = list(online)
        self.offline = deque(offline)
        self.rate = rate
        self.counts: Counts | None = None
        self._random = random.Random(8)
        self._opening: set[asyncio.Task[None]] = set()
        for person in [*self.online, *self.offline]:  # a tab keeps its hooks when it is reopened
            self._count_updates(person.tab)

    @asynccontextmanager
    async def going(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, *self._opening, return_exceptions=True)

    @contextmanager
    def counting(self) -> Iterator[Counts]:
        """The figures of the churn from now until the block ends."""
        self.counts = counts = Counts()
        try:
            yield counts
        finally:
            counts.ended = time.perf_counter()
            self.counts = None

    async def _run(self) -> None:
        started = time.perf_counter()
        for k in range(10**9):
            await asyncio.sleep(max(0.0, started + k / self.rate - time.perf_counter()))
            if self.online:
                leaving = self.online.pop(self._random.randrange(len(self.online)))
                await leaving.tab.close()
                self.offline.append(leaving)
                if self.counts:
                    self.counts.disconnects += 1
            if self.offline:
                task = asyncio.create_task(self._come_back(self.offline.popleft()))
                self._opening.add(task)
                task.add_done_callback(self._opening.discard)

    async def _come_back(self, person: Person) -> None:
        counts = self.counts
        started = time.perf_counter()
        try:
            await person.tab.goto(INBOX)  # the closed tab reopened: the browser restores its tab id with it
            await person.tab.wait_for(ROWS)
        except Exception as error:
            if counts:
                counts.failed += 1
                counts.error = f'{type(error).__name__}: {error}'[:300]
            self.offline.append(person)
            return
        self.online.append(person)
        if counts:
            counts.connects += 1
            counts.connect_ms.append((time.perf_counter() - started) * 1000)

    def _count_updates(self, tab: Tab) -> None:
        def count(element_id: str, element: Any, at: float) -> None:
            if self.counts:
                self.counts.crowd_updates += 1
        tab.hooks.append(count)
