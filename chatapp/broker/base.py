"""The broker interface shared by the in-process and the Redis implementation."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from chatapp.events import Event

EventHandler = Callable[[Event], Awaitable[None]]
ResyncHandler = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)


class Broker(ABC):
    """Publishes events to every process's subscribers.

    Delivery is at most once: a subscriber that may have missed events (the Redis connection dropped) is told through
    the resync handlers, and catches up from the database, which is the source of truth.
    """

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []
        self._resync_handlers: list[ResyncHandler] = []

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every event published by any process."""
        self._handlers.append(handler)

    def on_resync(self, handler: ResyncHandler) -> None:
        """Call ``handler`` after a gap in delivery, once delivery works again."""
        self._resync_handlers.append(handler)

    @abstractmethod
    async def start(self) -> None:
        """Begin delivering; safe to call more than once."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop delivering and release connections; safe to call more than once."""

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Send ``event`` to every process's subscribers."""

    async def _deliver(self, event: Event) -> None:
        for handler in self._handlers:
            try:
                await handler(event)
            except Exception:
                log.exception('event handler failed for %s', type(event).__name__)

    async def _resync(self) -> None:
        await asyncio.gather(*(handler() for handler in self._resync_handlers), return_exceptions=True)
