"""The in-process broker: every subscriber hears every event once, in order, whatever the other subscribers do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chatapp.broker import MemoryBroker
from chatapp.events import Event
from tests.broker.conftest import Recorder, message


@pytest.fixture
async def broker() -> AsyncIterator[MemoryBroker]:
    broker = MemoryBroker()
    yield broker
    await broker.stop()


def delivery_tasks() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == 'chatapp-memory-broker']


async def test_each_subscriber_hears_each_event_once(broker: MemoryBroker) -> None:
    first, second = Recorder(), Recorder()
    broker.subscribe(first)
    broker.subscribe(second)
    await broker.start()
    await broker.publish(message(1))
    await broker.publish(message(2))
    assert await first.wait_for(2) == [message(1), message(2)]
    assert await second.wait_for(2) == [message(1), message(2)]


async def test_order_is_kept(broker: MemoryBroker) -> None:
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    for n in range(200):
        await broker.publish(message(n))
    assert await recorder.wait_for(200) == [message(n) for n in range(200)]


async def test_a_failing_subscriber_does_not_stop_the_others(
        broker: MemoryBroker, caplog: pytest.LogCaptureFixture) -> None:
    async def fail(event: Event) -> None:
        raise RuntimeError('boom')

    recorder = Recorder()
    broker.subscribe(fail)
    broker.subscribe(recorder)
    await broker.start()
    await broker.publish(message(1))
    await broker.publish(message(2))
    assert await recorder.wait_for(2) == [message(1), message(2)]
    errors = [record.message for record in caplog.records if record.levelname == 'ERROR']
    assert errors == ['event handler failed for MessagePosted'] * 2


async def test_starting_twice_keeps_one_delivery_task(broker: MemoryBroker) -> None:
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    await broker.start()
    await asyncio.gather(broker.start(), broker.start())
    assert len(delivery_tasks()) == 1
    await broker.publish(message(1))
    assert await recorder.wait_for(1) == [message(1)]


async def test_stop_is_idempotent_and_the_broker_can_start_again(broker: MemoryBroker) -> None:
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.stop()
    await broker.start()
    await broker.stop()
    await broker.stop()
    assert delivery_tasks() == []
    await broker.start()
    await broker.publish(message(1))
    assert await recorder.wait_for(1) == [message(1)]
