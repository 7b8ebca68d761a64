"""Load shapes: people paired up in open chats, messages offered at a fixed rate (open loop) or as fast as each
pair's previous message arrives (closed loop)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench import seed
from bench.measure import Deliveries
from bench.person import Person
from bench.seed import Pair
from bench.server import AppProcess
from bench.setup import Services, running, world
from bench.tab import loopback

SIGN_INS_AT_ONCE = 4
DRAIN_SECONDS = 10.0


@dataclass
class Chat:
    """The two people of a pair, each on their own chat page with the other."""

    a: Person
    b: Person


async def open_chats(pairs: Sequence[Pair], urls: Sequence[str], deliveries: Deliveries) -> list[Chat]:
    """Each pair's people sign in and open their chat: ``a`` on the first process, ``b`` on the last; each person
    from a loopback address of their own."""
    gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)

    async def open_one(person: Person, peer: str) -> None:
        async with gate:
            await person.open_chat(peer)

    chats = [Chat(Person(urls[0], pair.a, loopback(2 * i)), Person(urls[-1], pair.b, loopback(2 * i + 1)))
             for i, pair in enumerate(pairs)]
    await asyncio.gather(*(open_one(person, peer) for chat in chats
                           for person, peer in ((chat.a, chat.b.username), (chat.b, chat.a.username))))
    for chat in chats:
        deliveries.watch(chat.a)
        deliveries.watch(chat.b)
    return chats


async def close_all(chats: Sequence[Chat]) -> None:
    await asyncio.gather(*(person.close() for chat in chats for person in (chat.a, chat.b)), return_exceptions=True)


async def warm_up(chats: Sequence[Chat], deliveries: Deliveries, count: int) -> None:
    """A few unmeasured messages first: the first of anything pays for imports and caches."""
    await open_loop(chats, deliveries, 20, count, 'warmup')
    deliveries.reset()
    gc.collect()


async def open_loop(chats: Sequence[Chat], deliveries: Deliveries, rate: float, count: int, label: str) -> float:
    """Offer ``count`` messages at ``rate`` per second in all, spread over the pairs in turn, each pair's people
    taking turns; waits for the stragglers. Returns the rate actually offered."""
    started = time.perf_counter()
    sends = []
    for k in range(count):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        chat = chats[k % len(chats)]
        sender, receiver = (chat.a, chat.b) if (k // len(chats)) % 2 == 0 else (chat.b, chat.a)
        sends.append(asyncio.create_task(deliveries.send(sender, receiver, f'{label}-{k}')))
    offered = count / max(time.perf_counter() - started, 1e-9) if count > 1 else rate
    await asyncio.gather(*sends)
    await deliveries.drain(DRAIN_SECONDS)
    return offered


async def closed_loop(chats: Sequence[Chat], deliveries: Deliveries, seconds: float, label: str) -> float:
    """Each pair sends its next message as soon as the previous one arrived, for ``seconds``; returns the seconds
    actually taken (until the last message arrived)."""
    started = time.perf_counter()
    deadline = started + seconds

    async def converse(index: int, chat: Chat) -> None:
        sender, receiver = chat.a, chat.b
        n = 0
        while time.perf_counter() < deadline:
            message_id = f'{label}-{index}-{n}'
            await deliveries.send(sender, receiver, message_id)
            if not await deliveries.delivered(message_id, DRAIN_SECONDS):
                return
            sender, receiver, n = receiver, sender, n + 1

    await asyncio.gather(*(converse(i, chat) for i, chat in enumerate(chats)))
    return time.perf_counter() - started


@asynccontextmanager
async def chatting_pairs(services: Services, name: str, count: int, warmup: int) \
        -> AsyncIterator[tuple[AppProcess, list[Chat], Deliveries]]:
    """Scenario ``name``'s fresh app with ``count`` pairs in their chats, warmed up by ``warmup`` unmeasured
    messages; the chats close when the block ends."""
    w = world(services, name)
    pairs = w.seed(lambda runner: seed.make_pairs(runner, count))
    with running(services, w) as apps:
        deliveries = Deliveries()
        chats = await open_chats(pairs, [apps[0].base_url], deliveries)
        try:
            await warm_up(chats, deliveries, warmup)
            yield apps[0], chats, deliveries
        finally:
            await close_all(chats)
