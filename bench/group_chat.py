"""Scenario k (issue 8's "h"): a group of 100 people, every one of them on the group's page, two messages a second
from each member in turn. A message has arrived when the last of the 100 pages (the sender's own included) shows it
in a bubble: that is the time from Enter to the 100th page."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bench import crowd
from bench.load import DRAIN_SECONDS, SIGN_INS_AT_ONCE
from bench.measure import Deliveries
from bench.person import Person
from bench.setup import Services, measured, running, world
from bench.tab import loopback
from bench.usage import cpu_use, gc_pauses
from chatapp.services.tx import ServiceRunner

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

WARMUP_MESSAGES = 4


async def scenario_k(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """``k_members`` people in one group (its creator befriended everyone, as adding them requires), all on
    ``/group/<id>``; ``k_rate`` messages a second for ``k_seconds``, senders in turn."""
    w = world(services, 'k')
    names = [f'g{i}' for i in range(scale.k_members)]

    def make(runner: ServiceRunner) -> int:
        people = crowd.people(runner, names)
        creator, others = people[0], people[1:]
        crowd.befriend(runner, [(creator, other) for other in others])
        return crowd.group(runner, creator, 'Bench group', others)

    group_id = w.seed(make)
    count = int(scale.k_rate * scale.k_seconds)
    with running(services, w) as apps:
        members = [Person(apps[0].base_url, name, loopback(i)) for i, name in enumerate(names)]
        deliveries = Deliveries()
        try:
            await open_all(members, f'/group/{group_id}')
            for member in members:
                deliveries.watch(member)
            await talk(members, deliveries, scale.k_rate, WARMUP_MESSAGES, 'warmup')
            deliveries.reset()
            gc.collect()
            with measured(services, apps, 'k'), cpu_use(apps[0]) as cpu, gc_pauses(apps[0]) as pauses:
                offered = await talk(members, deliveries, scale.k_rate, count, 'k')
        finally:
            await asyncio.gather(*(member.close() for member in members), return_exceptions=True)
    row = deliveries.summary()
    return {'members': len(members), **row, 'offered_per_s': round(offered, 2), **deliveries.per_page(),
            **cpu.per_message(row['delivered']), **pauses.figures()}


async def open_all(people: Sequence[Person], path: str, at_once: int = SIGN_INS_AT_ONCE,
                   ready: str = 'message-input') -> None:
    """Everyone signs in straight into ``path`` (a few at a time, as in the other scenarios) and waits until the
    page shows ``ready``."""
    gate = asyncio.Semaphore(at_once)

    async def open_one(person: Person) -> None:
        async with gate:
            await person.log_in(path)
            await person.tab.wait_for(ready)

    await asyncio.gather(*(open_one(person) for person in people))


async def talk(members: Sequence[Person], deliveries: Deliveries, rate: float, count: int, label: str) -> float:
    """``count`` messages at ``rate`` a second, member after member, each to every member's page; waits for the
    stragglers. Returns the rate actually offered."""
    started = time.perf_counter()
    sends: list[asyncio.Task[Any]] = []
    for k in range(count):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append(asyncio.create_task(deliveries.send(members[k % len(members)], members, f'{label}-{k}')))
    offered = count / max(time.perf_counter() - started, 1e-9) if count > 1 else rate
    await asyncio.gather(*sends)
    await deliveries.drain(DRAIN_SECONDS)
    return offered
