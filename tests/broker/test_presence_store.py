"""The presence stores on their own: who is online across processes, and expiry when a process stops vouching.

Each ``RedisPresenceStore`` stands for one process; they share a real Redis under the test's own prefix, whose keys
are deleted afterwards. TTLs are short so that expiry happens within the test; the waits are failure guards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio

from chatapp.presence import MemoryPresenceStore, PresenceStore
from chatapp.presence.redis_store import RedisPresenceStore

TTL = 0.6


@pytest.fixture
async def make_store(redis_url: str, prefix: str, admin: redis.asyncio.Redis
                     ) -> AsyncIterator[Callable[..., RedisPresenceStore]]:
    """Stores (processes) on the test's prefix; closed, and every key they made deleted, afterwards."""
    stores: list[RedisPresenceStore] = []

    def make(ttl: float = TTL) -> RedisPresenceStore:
        store = RedisPresenceStore(redis_url, prefix=prefix, ttl=ttl)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()
    keys = [key async for key in admin.scan_iter(match=f'{prefix}:*')]
    if keys:
        await admin.delete(*keys)


async def test_memory_store_reports_first_and_last() -> None:
    store = MemoryPresenceStore()
    assert await store.come_online(1) is True
    assert await store.come_online(1) is False
    assert await store.online([1, 2]) == {1}
    assert await store.go_offline(1) is True
    assert await store.go_offline(1) is False
    assert await store.online([1, 2]) == set()


async def test_only_the_first_process_in_and_the_last_out_report_a_change(make_store: Callable[..., PresenceStore],
                                                                         admin: redis.asyncio.Redis,
                                                                         prefix: str) -> None:
    a, b = make_store(ttl=30), make_store(ttl=30)
    assert await a.come_online(7) is True
    assert await b.come_online(7) is False  # already online through a
    assert await b.online([7, 8]) == {7}
    assert await a.go_offline(7) is False  # still online through b
    assert await a.online([7]) == {7}
    assert await b.go_offline(7) is True
    assert await a.online([7]) == set()
    assert await b.go_offline(7) is False  # nothing left to report
    assert [key async for key in admin.scan_iter(match=f'{prefix}:*')] == []  # nothing left behind either


async def test_a_process_that_stops_refreshing_has_its_people_swept_once(make_store: Callable[..., PresenceStore]
                                                                        ) -> None:
    dead, alive, other = make_store(), make_store(), make_store()
    assert await dead.come_online(1) is True
    assert await dead.come_online(2) is True
    assert await alive.come_online(2) is False  # 2 also has a page on the living process
    assert await alive.come_online(3) is True
    for _ in range(8):  # 1.2 s: two TTLs, while only ``alive`` renews its entries
        await asyncio.sleep(TTL / 4)
        assert await alive.refresh([2, 3]) == set()
    assert await other.online([1, 2, 3]) == {2, 3}
    assert await alive.sweep() == [1]
    assert await other.sweep() == []  # announced by one process only
    assert await alive.online([1, 2, 3]) == {2, 3}


async def test_a_stalled_process_learns_which_of_its_entries_were_swept(make_store: Callable[..., PresenceStore]
                                                                       ) -> None:
    stalled, sweeper = make_store(), make_store()
    await stalled.come_online(5)
    await stalled.come_online(6)
    await asyncio.sleep(TTL * 1.5)
    assert await sweeper.sweep() == [5, 6]
    assert await stalled.refresh([5, 6]) == {5, 6}
    assert await stalled.come_online(5) is True  # registering again is a real change, announced again
    assert await sweeper.online([5, 6]) == {5}


async def test_renewed_entries_never_expire(make_store: Callable[..., PresenceStore]) -> None:
    store, sweeper = make_store(), make_store()
    await store.come_online(9)
    for _ in range(10):  # 1.5 s, 2.5 TTLs
        await asyncio.sleep(TTL / 4)
        await store.refresh([9])
        assert await sweeper.sweep() == []
    assert await sweeper.online([9]) == {9}
