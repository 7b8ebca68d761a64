"""The hub: takes broker events and hands each to the open views of the users it names, in this process.

Views register with the NiceGUI client that shows them and leave when that client is deleted, so the hub never holds
a closed page. A view must tolerate hearing an event twice and catch up from the database in ``resync``: that is
what makes delivery exactly-once on screen although the broker only promises at-most-once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

from nicegui import Client

from chatapp.broker import Broker
from chatapp.events import Event, MessagePosted

if TYPE_CHECKING:
    from chatapp.presence import PresenceTracker

log = logging.getLogger(__name__)


class View(Protocol):
    """Anything on a page that reacts to events for one user."""

    async def handle(self, event: Event) -> None:
        """React to ``event``; called only for events that name this view's user."""

    async def resync(self) -> None:
        """Catch up from the database after events may have been missed."""


class Hub:
    """One per process; see the module docstring."""

    def __init__(self, broker: Broker, presence: PresenceTracker | None = None) -> None:
        self._views: defaultdict[int, set[View]] = defaultdict(set)
        self._broker = broker
        self._presence = presence
        broker.subscribe(self.dispatch)
        broker.on_resync(self.resync_all)

    async def attach(self, user_id: int, view: View, client: Client) -> None:
        """Deliver ``user_id``'s events to ``view`` until ``client`` is deleted; resync it whenever its browser
        reconnects, since UI updates replayed by NiceGUI are not a guarantee about chat messages. ``client`` also
        counts towards ``user_id``'s presence while its socket is connected (once, however many views it shows).

        Returns once the broker routes ``user_id``'s events to this process: a page reads from the database only
        after attaching, so nothing published meanwhile falls between its read and its first event."""
        self._views[user_id].add(view)
        client.on_delete(lambda: self.detach(user_id, view))
        client.on_connect(view.resync)
        if self._presence is not None:
            self._presence.watch(user_id, client)
        await self._broker.hold(user_id)

    def detach(self, user_id: int, view: View) -> None:
        """Forget ``view``; the broker stops routing ``user_id``'s events here with their last view."""
        views = self._views.get(user_id)
        if views is not None:
            views.discard(view)
            if not views:
                del self._views[user_id]
                self._broker.release(user_id)

    def view_count(self) -> int:
        """How many views are attached (for tests and metrics)."""
        return sum(len(views) for views in self._views.values())

    async def dispatch(self, event: Event) -> None:
        """Hand ``event`` to each attached view of each recipient; one failing view does not stop the others.

        A message goes to its sender's own views last, after a pause that lets the receivers' pages send what they
        drew: the others are waiting for it, while the sender's page has already shown it as sent; every view's work
        ahead of the receivers' updates is time the message takes to arrive (about 0.3 ms in scenario a, where the
        sender's chat, inbox and title had their turn before the receiver's page was sent)."""
        recipients = event.recipients
        sender = event.message.sender_id if isinstance(event, MessagePosted) else None
        if sender is not None and sender in recipients:
            recipients = (*(user_id for user_id in recipients if user_id != sender), sender)
        delivered = False
        for user_id in recipients:
            views = list(self._views.get(user_id, ()))
            if user_id == sender and delivered and views:
                await asyncio.sleep(0)  # the receivers' outboxes, woken by their views, send now
            for view in views:
                delivered = True
                try:
                    await view.handle(event)
                except Exception:
                    log.exception('view failed to handle %s', type(event).__name__)

    async def resync_all(self, user_ids: Collection[int] | None = None) -> None:
        """Ask the views of ``user_ids`` (``None``: every view) to catch up from the database (after the broker lost
        its connection, or their route)."""
        groups = self._views.values() if user_ids is None else [self._views.get(user_id, ()) for user_id in user_ids]
        views = [view for views in groups for view in views]
        await asyncio.gather(*(view.resync() for view in views), return_exceptions=True)
