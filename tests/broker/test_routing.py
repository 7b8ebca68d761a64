"""Routing against a real Redis: an event reaches only the processes that hold one of its recipients, and a lost
route is found, restored and followed by a catch-up of exactly the people it concerned."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio

from chatapp.broker import MemoryBroker
from chatapp.broker.redis import RedisBroker
from chatapp.events import Event, MessagePosted, Typing
from chatapp.realtime import Hub
from tests.broker.conftest import WAIT, Recorder, ResyncCounter, message

MakeBroker = Callable[..., RedisBroker]
TTL = 0.6
"""Seconds a route lives in the tests that lose one: renewed every 0.2 s."""
_marks = itertools.count(1)


async def started(make_broker: MakeBroker, *held: int, route_ttl: float = 30.0) -> tuple[RedisBroker, Recorder]:
    """A process that holds ``held`` and records what reaches it."""
    broker = make_broker(route_ttl=route_ttl)
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    for user_id in held:
        await broker.hold(user_id)
    return broker, recorder


async def heard(broker: RedisBroker, recorder: Recorder) -> list[Event]:
    """What reached ``broker`` so far, once everything published before has arrived: a mark sent to an id only this
    process holds comes after every earlier event on its channel (one publisher, one connection, in order)."""
    mark = -next(_marks)
    await broker.hold(mark)
    await broker.publish(Typing(recipients=(mark,), conversation_id=0, user_id=mark, name='mark', active=False))
    events = await recorder.wait_until(lambda: any(_is_mark(event, mark) for event in recorder.events))
    return [event for event in events if not _is_mark(event)]


def _is_mark(event: Event, mark: int | None = None) -> bool:
    return isinstance(event, Typing) and event.name == 'mark' and event.user_id < 0 and mark in (None, event.user_id)


async def test_an_event_reaches_only_the_processes_holding_a_recipient(make_broker: MakeBroker) -> None:
    (a, on_a), (b, on_b), (c, on_c) = [await started(make_broker, *held) for held in ((1,), (2,), ())]
    await a.publish(message(1, recipients=(1,)))
    await a.publish(message(2, recipients=(2,)))
    await b.publish(message(3, recipients=(1, 2, 3)))  # 3 is held nowhere
    await c.publish(message(4, recipients=(3,)))

    assert await heard(a, on_a) == [message(1, recipients=(1,)), message(3, recipients=(1, 2, 3))]
    assert await heard(b, on_b) == [message(2, recipients=(2,)), message(3, recipients=(1, 2, 3))]
    assert await heard(c, on_c) == []  # a process holding nobody decodes nothing


async def test_a_person_on_two_processes_is_reached_on_both_once(make_broker: MakeBroker) -> None:
    (a, on_a), (b, on_b) = await started(make_broker, 1, 2), await started(make_broker, 1)
    await a.publish(message(1, recipients=(1, 2)))  # both recipients on a: one copy there, not two

    assert await heard(a, on_a) == [message(1, recipients=(1, 2))]
    assert await heard(b, on_b) == [message(1, recipients=(1, 2))]


async def test_a_released_person_is_no_longer_routed_here(make_broker: MakeBroker, admin: redis.asyncio.Redis
                                                         ) -> None:
    (a, on_a), (b, on_b) = await started(make_broker, 1), await started(make_broker, 1)
    a.release(1)
    await a.routes.settled()
    assert await admin.zrange(a.routes.key(1), 0, -1) == [b.process.encode()]
    await b.publish(message(1, recipients=(1,)))
    assert await heard(a, on_a) == []
    assert await heard(b, on_b) == [message(1, recipients=(1,))]

    b.release(1)
    await b.routes.settled()
    assert not await admin.exists(b.routes.key(1))  # the emptied set is gone


@pytest.mark.parametrize('loss', ['deleted', 'expired'])
async def test_a_lost_route_is_restored_and_its_people_catch_up(make_broker: MakeBroker, admin: redis.asyncio.Redis,
                                                                loss: str) -> None:
    """``deleted``: Redis restarted empty or evicted the key; ``expired``: the process stalled past the TTL."""
    a, on_a = await started(make_broker, 1, 2, route_ttl=TTL)
    resyncs = ResyncCounter()
    a.on_resync(resyncs)
    if loss == 'deleted':
        await admin.delete(a.routes.key(1))
    else:
        await admin.zadd(a.routes.key(1), {a.process: 1})  # valid until 1970
    await a.publish(message(1, recipients=(1,)))  # goes nowhere: that is the loss

    await resyncs.wait_for(1)  # the next renewal (within TTL / 3) finds it
    assert resyncs.named == [frozenset({1})]  # only the people whose route was lost; 2's views need nothing
    await a.publish(message(2, recipients=(1,)))
    assert await heard(a, on_a) == [message(2, recipients=(1,))]


async def test_a_dead_process_drops_out_of_a_route_another_keeps(make_broker: MakeBroker,
                                                                 admin: redis.asyncio.Redis) -> None:
    (dying, _), (surviving, on_surviving) = [await started(make_broker, 1, route_ttl=TTL) for _ in range(2)]
    await dying.stop()  # stops renewing and removes nothing, as a crashed process would
    await asyncio.sleep(TTL * 2)  # its entry expires; the survivor renews every TTL / 3 meanwhile

    assert await admin.zrange(surviving.routes.key(1), 0, -1) == [surviving.process.encode()]  # pruned
    await surviving.publish(message(1, recipients=(1,)))
    assert await heard(surviving, on_surviving) == [message(1, recipients=(1,))]


async def test_after_a_reconnection_routes_are_back_before_the_views_read(make_broker: MakeBroker,
                                                                         admin: redis.asyncio.Redis) -> None:
    """Redis restarted empty: the listener reconnects, and the views' catch-up must come after the routes."""
    a, on_a = await started(make_broker, 1)
    routed_at_resync: list[bool] = []
    resynced = asyncio.Event()

    async def resync(user_ids: object) -> None:
        routed_at_resync.append(await admin.zscore(a.routes.key(1), a.process) is not None)
        resynced.set()

    a.on_resync(resync)
    await admin.delete(a.routes.key(1))
    killed = [c['id'] for c in await admin.client_list() if c['name'] == a.listener_name]
    await admin.client_kill_filter(_id=killed[0])
    await asyncio.wait_for(resynced.wait(), WAIT)
    assert routed_at_resync == [True]
    await a.publish(message(1, recipients=(1,)))
    assert await heard(a, on_a) == [message(1, recipients=(1,))]


async def test_holding_without_redis_does_not_raise(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    broker = RedisBroker('redis://127.0.0.1:1/0', prefix=prefix)
    try:
        await broker.hold(1)  # a page opens while Redis is away: it still renders from the database
        assert 'route of user 1 not updated' in caplog.text
        assert broker.routes.holds(1)  # kept wanted: the renewal registers it and reports it lost
    finally:
        await broker.stop()


async def test_the_hub_routes_a_person_before_attach_returns_and_releases_with_the_last_view(
        make_broker: MakeBroker, admin: redis.asyncio.Redis) -> None:
    broker = make_broker()
    hub = Hub(broker)
    await broker.start()
    first, second = FakeClient(), FakeClient()
    await hub.attach(1, QuietView(), first)  # type: ignore[arg-type]
    assert await admin.zscore(broker.routes.key(1), broker.process) is not None  # before any read could start
    await hub.attach(1, QuietView(), second)  # type: ignore[arg-type]

    first.delete()
    await broker.routes.settled()
    assert await admin.exists(broker.routes.key(1))  # one page left
    second.delete()
    await broker.routes.settled()
    assert not await admin.exists(broker.routes.key(1))


async def test_the_hub_resyncs_only_the_views_of_the_people_named(make_broker: MakeBroker) -> None:
    broker = make_broker()
    hub = Hub(broker)
    views = {user_id: QuietView() for user_id in (1, 2)}
    for user_id, view in views.items():
        await hub.attach(user_id, view, FakeClient())  # type: ignore[arg-type]
    await hub.resync_all([2])
    assert (views[1].resyncs, views[2].resyncs) == (0, 1)
    await hub.resync_all()
    assert (views[1].resyncs, views[2].resyncs) == (1, 2)


async def test_a_lost_route_makes_the_views_of_that_person_catch_up(make_broker: MakeBroker,
                                                                    admin: redis.asyncio.Redis) -> None:
    broker = make_broker(route_ttl=TTL)
    hub = Hub(broker)
    await broker.start()
    views = {user_id: QuietView() for user_id in (1, 2)}
    for user_id, view in views.items():
        await hub.attach(user_id, view, FakeClient())  # type: ignore[arg-type]
    await admin.delete(broker.routes.key(1))

    await asyncio.wait_for(views[1].resynced.wait(), WAIT)
    assert (views[1].resyncs, views[2].resyncs) == (1, 0)
    assert await admin.zscore(broker.routes.key(1), broker.process) is not None  # and the route is back


async def test_a_message_reaches_its_senders_own_views_last() -> None:
    """The other members are the ones waiting for it; the sender's page has shown it as sent already."""
    hub = Hub(MemoryBroker())
    order: list[int | str] = []
    for user_id in (1, 2, 3):
        await hub.attach(user_id, OrderView(user_id, order), FakeClient())  # type: ignore[arg-type]
    await hub.dispatch(message(1, recipients=(1, 2, 3)))  # sent by 1
    assert order == [2, 3, 'sent', 1]  # what the receivers' views set going (their pages' updates) goes first
    order.clear()
    await hub.dispatch(Typing(recipients=(1, 2, 3), conversation_id=1, user_id=1, name='one', active=True))
    assert order == [1, 2, 3]  # other events keep their recipients' order


class OrderView:
    def __init__(self, user_id: int, order: list[int | str]) -> None:
        self.user_id, self.order = user_id, order

    async def handle(self, event: Event) -> None:
        """Notes its turn; a receiver of a message also sets its page's update going, as a view's drawing wakes
        the page's outbox (``sent`` once, when the first of those runs)."""
        self.order.append(self.user_id)
        if isinstance(event, MessagePosted) and event.message.sender_id != self.user_id:
            asyncio.get_running_loop().call_soon(self._sent)

    def _sent(self) -> None:
        if 'sent' not in self.order:
            self.order.append('sent')

    async def resync(self) -> None:
        """Never needed here."""


class QuietView:
    def __init__(self) -> None:
        self.resyncs = 0
        self.resynced = asyncio.Event()

    async def handle(self, event: Event) -> None:
        """Hears nothing in these tests."""

    async def resync(self) -> None:
        self.resyncs += 1
        self.resynced.set()


class FakeClient:
    """What the hub asks of a NiceGUI client: handlers for its deletion and reconnection."""

    def __init__(self) -> None:
        self._on_delete: list[Callable[[], Any]] = []

    def on_delete(self, handler: Callable[[], Any]) -> None:
        self._on_delete.append(handler)

    def on_connect(self, handler: Callable[[], Any]) -> None:
        """Never reconnects here."""

    def delete(self) -> None:
        for handler in self._on_delete:
            handler()

