"""A simulated process for ephemeral-path tests: broker, service layer and ``Ephemeral``, plus what it heard.

Pages are stood in for by page ids given to the presence tracker (``connect``/``disconnect``/``close``), which is
what ``Hub.attach`` does with a NiceGUI client's connect, disconnect and delete.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from chatapp.broker import Broker
from chatapp.ephemeral import Ephemeral
from chatapp.events import Event, PresenceChanged, Typing
from chatapp.services.tx import ServiceRunner

WAIT = 5.0
"""Seconds before a wait counts as a hang: a failure guard, never a measurement."""
_marks = itertools.count(1)


@dataclass
class Heard:
    """Every event a broker delivered, but the drain marks."""

    events: list[Event] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def signals(self) -> list[Event]:
        return [event for event in self.events if not _is_mark(event)]

    def presence(self) -> list[PresenceChanged]:
        return [event for event in self.events if isinstance(event, PresenceChanged)]

    def typing(self) -> list[Typing]:
        return [event for event in self.events if isinstance(event, Typing) and not _is_mark(event)]

    async def wait_until(self, condition: Callable[[], bool], within: float = WAIT) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)


@dataclass
class Process:
    """One process of the app, as far as the ephemeral path goes."""

    broker: Broker
    run: ServiceRunner
    ephemeral: Ephemeral
    heard: Heard

    def open_page(self, page_id: str, user_id: int, *, connected: bool = True) -> None:
        """A page of ``user_id`` is built (and its socket connects)."""
        self.ephemeral.presence.add_page(page_id, user_id)
        if connected:
            self.ephemeral.presence.page_connected(page_id)

    def disconnect(self, page_id: str) -> None:
        self.ephemeral.presence.page_disconnected(page_id)

    def close(self, page_id: str) -> None:
        """The page is deleted (a closed tab, after NiceGUI's reconnect timeout)."""
        self.ephemeral.presence.page_deleted(page_id)

    async def drain(self) -> None:
        """Return once everything this process published so far has been delivered back to it (the broker delivers
        one publisher's events in order): a test can then assert that something did not happen."""
        mark = f'mark-{next(_marks)}'
        await self.broker.hold(0)  # nobody's id: a routing broker sends the mark to this process alone
        await self.broker.publish(Typing(recipients=(0,), conversation_id=0, user_id=0, name=mark, active=False))
        await self.heard.wait_until(lambda: any(isinstance(event, Typing) and event.name == mark
                                                for event in self.heard.events))

    async def settle(self) -> None:
        """Wait until presence changes so far have reached the store and been announced, then drain."""
        await self.ephemeral.presence.settled()
        await self.drain()

    async def stop(self) -> None:
        await self.ephemeral.stop()
        await self.broker.stop()
        self.run.shutdown()
        self.run.engine.dispose()


def _is_mark(event: Event) -> bool:
    return isinstance(event, Typing) and event.user_id == 0 and event.name.startswith('mark-')
