"""Presence across processes: two simulated processes, each with its own Redis broker, presence store and service
layer, share a real Redis (the test's own prefix, cleaned up) and one database (each backend under test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio

from chatapp.app import make_runner
from chatapp.broker.redis import RedisBroker
from chatapp.ephemeral import Ephemeral
from chatapp.presence.redis_store import RedisPresenceStore
from chatapp.schemas import UserPublic
from tests.conftest import make_settings
from tests.ephemeral_support import Heard, Process
from tests.factories import make_friends, make_user

GRACE = 0.3
TTL = 0.6


@pytest.fixture
async def make_process(redis_url: str, prefix: str, db_url: str, tmp_path: Path, admin: redis.asyncio.Redis
                       ) -> AsyncIterator[Callable[..., Awaitable[Process]]]:
    """Start processes sharing Redis and the database; stop them and delete every key of the prefix afterwards."""
    processes: list[Process] = []
    settings = make_settings(tmp_path, db_url, presence_grace_seconds=GRACE)

    async def make(ttl: float = TTL) -> Process:
        broker = RedisBroker(redis_url, prefix=prefix)
        run = make_runner(settings, broker)
        heard = Heard()
        broker.subscribe(heard)
        await broker.start()
        ephemeral = Ephemeral(settings, broker, run, store=RedisPresenceStore(redis_url, prefix=prefix, ttl=ttl))
        await ephemeral.start()
        processes.append(process := Process(broker, run, ephemeral, heard))
        return process

    yield make
    for process in processes:
        await process.stop()
    keys = [key async for key in admin.scan_iter(match=f'{prefix}:*')]
    if keys:
        await admin.delete(*keys)


def friends(process: Process) -> tuple[UserPublic, UserPublic]:
    alice, bob = make_user(process.run, 'alice'), make_user(process.run, 'bob')
    make_friends(process.run, alice, bob)
    return alice, bob


async def test_two_processes_see_each_others_people(make_process: Callable[..., Awaitable[Process]]) -> None:
    a, b = await make_process(), await make_process()
    alice, bob = friends(a)
    for process in (a, b):
        await process.broker.hold(bob.id)  # bob has a page on each: both hear what concerns him

    a.open_page('on-a', alice.id)
    await b.heard.wait_until(lambda: len(b.heard.presence()) == 1)  # heard in the other process too
    assert b.heard.presence()[0].online and b.heard.presence()[0].recipients == (bob.id,)
    assert (await b.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id]))[alice.id].online

    b.open_page('on-b', alice.id)  # a second tab, served by the other process: no change for anyone
    await b.settle()
    a.close('on-a')
    await asyncio.sleep(GRACE * 2)
    await a.settle()
    assert [event.online for event in a.heard.presence()] == [True]
    assert (await a.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id]))[alice.id].online

    b.close('on-b')  # the last page anywhere
    await a.heard.wait_until(lambda: len(a.heard.presence()) == 2)
    await b.settle()
    assert [event.online for event in b.heard.presence()] == [True, False]  # announced once, by one process
    seen = await a.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id])
    assert (seen[alice.id].online, seen[alice.id].last_seen_at) == (False, b.heard.presence()[1].last_seen_at)


async def test_the_people_of_a_process_that_dies_go_offline(make_process: Callable[..., Awaitable[Process]]
                                                            ) -> None:
    dying, surviving = await make_process(), await make_process()
    alice, bob = friends(dying)
    await surviving.broker.hold(bob.id)  # bob's page is there; alice's is on the dying process, which hears her
    await dying.broker.hold(alice.id)
    dying.open_page('alice-tab', alice.id)
    surviving.open_page('bob-tab', bob.id)
    await surviving.heard.wait_until(lambda: len(surviving.heard.presence()) == 1)  # alice, told to bob
    await dying.heard.wait_until(lambda: len(dying.heard.presence()) == 1)  # bob, told to alice

    await dying.stop()  # stops renewing its entries, as a crashed process would, and removes nothing
    await surviving.heard.wait_until(lambda: len(surviving.heard.presence()) == 2, within=TTL * 4)
    assert [event.user_id for event in surviving.heard.presence()] == [alice.id, alice.id]
    gone = surviving.heard.presence()[1]
    assert (gone.user_id, gone.online, gone.recipients) == (alice.id, False, (bob.id,))
    seen = await surviving.ephemeral.presence_of(actor_id=alice.id, user_ids=[bob.id])
    assert seen[bob.id].online  # the survivor's own people stay online: it keeps renewing them
    seen = await surviving.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id])
    assert (seen[alice.id].online, seen[alice.id].last_seen_at) == (False, gone.last_seen_at)
