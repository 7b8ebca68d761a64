"""The zero-configuration broker: one process, one queue, one delivery task."""

from __future__ import annotations

import asyncio
import contextlib

from chatapp.broker.base import Broker
from chatapp.events import Event


class MemoryBroker(Broker):
    """Delivers on its own task rather than inside ``publish``, so a sender never waits for other people's pages
    and deliveries never run inside the sender's UI context (as with Redis)."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name='chatapp-memory-broker')

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def publish(self, event: Event) -> None:
        self._queue.put_nowait(event)

    async def hold(self, user_id: int) -> None:
        """Nothing to route: the one process hears every event."""

    def release(self, user_id: int) -> None:
        """Nothing to route: the one process hears every event."""

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            await self._deliver(event)
