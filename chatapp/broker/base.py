"""The broker interface shared by the in-process and the Redis implementation."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection

from chatapp.events import Event

EventHandler = Callable[[Event], Awaitable[None]]
ResyncHandler = Callable[[Collection[int] | None], Awaitable[None]]
"""``handler(user_ids)``: the views of these people (``None``: of everyone in this process) must catch up."""
log = logging.getLogger(__name__)


class Broker(ABC):
    """Publishes events to the subscribers of every process that holds one of their recipients.

    A process says whom it holds (``hold``/``release``: the hub does, for the people whose views it has attached);
    a broker may then skip processes that hold none of an event's recipients. Delivery is at most once: a subscriber
    that may have missed events (the Redis connection dropped, a route was lost) is told through the resync handlers,
    and catches up from the database, which is the source of truth.
    """

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []
        self._resync_handlers: list[ResyncHandler] = []

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every event that reaches this process (with ``hold``: those naming someone held)."""
        self._handlers.append(handler)

    def on_resync(self, handler: ResyncHandler) -> None:
        """Call ``handler`` after a gap in delivery, once delivery works again, with the people concerned."""
        self._resync_handlers.append(handler)

    @abstractmethod
    async def hold(self, user_id: int) -> None:
        """Deliver events naming ``user_id`` to this process from now on: they are routed here once this returns,
        so a read from the database that starts afterwards misses nothing. Idempotent; never raises."""

    @abstractmethod
    def release(self, user_id: int) -> None:
        """This process no longer needs ``user_id``'s events."""

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

    async def _resync(self, user_ids: Collection[int] | None = None) -> None:
        await asyncio.gather(*(handler(user_ids) for handler in self._resync_handlers), return_exceptions=True)
