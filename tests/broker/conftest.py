"""A real Redis server for the broker tests: unreachable means failed, never skipped, so a broken CI cannot pass."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import redis.asyncio

from chatapp.broker.redis import RedisBroker
from chatapp.events import Event, MessagePosted
from chatapp.schemas import MessageData

SENT_AT = datetime(2025, 1, 1, tzinfo=UTC)
WAIT = 5.0
"""Seconds before a wait counts as a hang: a failure guard, never a measurement."""


@pytest.fixture
def prefix() -> str:
    """A prefix no other test or run uses, so channels never collide."""
    return f'chatapp-test-{uuid.uuid4().hex}'


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain client for what a test does behind the brokers' backs: raw publishes, killing connections."""
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def make_broker(redis_url: str, prefix: str) -> AsyncIterator[Callable[..., RedisBroker]]:
    """Build brokers (one per simulated process) on the test's prefix unless told otherwise; all stopped after."""
    brokers: list[RedisBroker] = []

    def make(prefix: str = prefix, **options: Any) -> RedisBroker:
        broker = RedisBroker(redis_url, prefix=prefix, **options)
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        await broker.stop()


class Recorder:
    """A subscriber that keeps what it hears, for a test to wait on."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, count: int) -> list[Event]:
        """The events once there are ``count`` of them; the timeout only guards against a hang."""
        return await self.wait_until(lambda: len(self.events) >= count)

    async def wait_until(self, condition: Callable[[], bool]) -> list[Event]:
        """The events once ``condition`` holds; the timeout only guards against a hang."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), WAIT)
        return self.events


class ResyncCounter:
    """A resync handler that counts calls (and keeps whom each named: ``None`` for everyone) and lets a test wait
    for the next one."""

    def __init__(self) -> None:
        self.calls = 0
        self.named: list[frozenset[int] | None] = []
        self._changed = asyncio.Condition()

    async def __call__(self, user_ids: Collection[int] | None = None) -> None:
        async with self._changed:
            self.calls += 1
            self.named.append(None if user_ids is None else frozenset(user_ids))
            self._changed.notify_all()

    async def wait_for(self, calls: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.calls >= calls), WAIT)


def message(n: int, *, recipients: tuple[int, ...] = (1, 2)) -> MessagePosted:
    """Event number ``n``: its body and sequence number say which one it is."""
    data = MessageData(id=n, conversation_id=1, seq=n, sender_id=1, body=f'message {n}', created_at=SENT_AT)
    return MessagePosted(recipients=recipients, message=data)
