"""Counts each person's connected pages in this process and turns the counts into online/offline transitions.

A person is held online here while at least one of their pages (NiceGUI clients, not views: one page may attach
several views) has its socket connected, and for a grace period after the last one disconnects, so that a reload
or a short network drop does not flicker. Holding and releasing go to the shared store one person at a time, in
order (one reconciling task per person at most); when the store reports a real transition, ``announce`` is called.

A connect or disconnect costs a few dictionary operations; the store and the database are touched only on real
changes of this process's holding (never on a reconnect within the grace).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nicegui import Client

from chatapp.presence.store import PresenceStore

log = logging.getLogger(__name__)
Announce = Callable[[int, bool], Awaitable[None]]
"""``announce(user_id, online)``: tell the audience (it must not raise)."""


@dataclass
class _Page:
    user_id: int
    connected: bool = False


class PresenceTracker:
    """One per process; ``watch`` every signed-in page's client. See the module docstring."""

    def __init__(self, store: PresenceStore, announce: Announce, *, grace: float) -> None:
        self.store = store
        self.grace = grace
        self._announce = announce
        self._pages: dict[str, _Page] = {}
        self._connected: dict[int, int] = {}
        """Connected pages per person (only people with at least one)."""
        self._graces: dict[int, asyncio.TimerHandle] = {}
        self._held: set[int] = set()
        """People this process wants online: a page connected, or within the grace."""
        self._registered: set[int] = set()
        """People this process has registered in the store (follows ``_held``, one task per person)."""
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loops: list[asyncio.Task[None]] = []

    # NiceGUI's side: a page is built (and attached) before its socket connects, and may connect again later.

    def watch(self, user_id: int, client: Client) -> None:
        """Count ``client`` for ``user_id`` while its socket is connected, until it is deleted. Idempotent."""
        if not self.add_page(client.id, user_id):
            return
        client.on_connect(self._on_connect)
        client.on_disconnect(self._on_disconnect)
        client.on_delete(self._on_delete)
        if client.has_socket_connection:  # attached after ``await client.connected()``
            self.page_connected(client.id)

    def _on_connect(self, client: Client) -> None:
        self.page_connected(client.id)

    def _on_disconnect(self, client: Client) -> None:
        if not client.has_socket_connection:  # a page may hold a second socket that reconnected before this one ended
            self.page_disconnected(client.id)

    def _on_delete(self, client: Client) -> None:
        self.page_deleted(client.id)

    # The counting itself, by page id.

    def add_page(self, page_id: str, user_id: int) -> bool:
        """Know page ``page_id`` of ``user_id`` (not connected yet); ``False`` if it is known already."""
        if page_id in self._pages:
            return False
        self._pages[page_id] = _Page(user_id)
        return True

    def page_connected(self, page_id: str) -> None:
        """The page's socket connected (again)."""
        page = self._pages.get(page_id)
        if page is None or page.connected:
            return
        page.connected = True
        user_id = page.user_id
        self._connected[user_id] = self._connected.get(user_id, 0) + 1
        if (handle := self._graces.pop(user_id, None)) is not None:
            handle.cancel()  # back within the grace: nothing changed for anyone
        if user_id not in self._held:
            self._held.add(user_id)
            self._reconcile_soon(user_id)

    def page_disconnected(self, page_id: str) -> None:
        """The page has no socket (it may reconnect)."""
        page = self._pages.get(page_id)
        if page is not None and page.connected:
            page.connected = False
            self._release(page.user_id)

    def page_deleted(self, page_id: str) -> None:
        """The page is gone for good."""
        page = self._pages.pop(page_id, None)
        if page is not None and page.connected:
            self._release(page.user_id)

    def _release(self, user_id: int) -> None:
        count = self._connected[user_id] - 1
        if count:
            self._connected[user_id] = count
            return
        del self._connected[user_id]
        self._graces[user_id] = asyncio.get_running_loop().call_later(self.grace, self._grace_over, user_id)

    def _grace_over(self, user_id: int) -> None:
        self._graces.pop(user_id, None)
        if user_id not in self._connected:
            self._held.discard(user_id)
            self._reconcile_soon(user_id)

    # What other code asks.

    def holds(self, user_id: int) -> bool:
        """Whether this process keeps ``user_id`` online (a page connected, or within the grace)."""
        return user_id in self._held

    def page_count(self) -> int:
        """Pages watched (for tests and metrics)."""
        return len(self._pages)

    async def settled(self) -> None:
        """Wait until the store reflects every change so far (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    # Keeping the store in step.

    def _reconcile_soon(self, user_id: int) -> None:
        if user_id not in self._tasks:  # the running task re-reads the wish before it ends
            self._tasks[user_id] = asyncio.get_running_loop().create_task(self._reconcile(user_id),
                                                                          name=f'presence {user_id}')

    async def _reconcile(self, user_id: int) -> None:
        try:
            while (wanted := user_id in self._held) != (user_id in self._registered):
                if wanted:
                    first = await self.store.come_online(user_id)
                    self._registered.add(user_id)
                else:
                    first = await self.store.go_offline(user_id)
                    self._registered.discard(user_id)
                if first:
                    await self._announce(user_id, wanted)
        except Exception as error:  # the store is unreachable: the next refresh tries again
            log.warning('presence of user %d not updated (%s)', user_id, error)
        finally:
            del self._tasks[user_id]  # no await since the last check of the wish, so no change is missed

    async def start(self) -> None:
        """Renew and sweep in the background when the store expires entries; idempotent."""
        if self.store.refresh_interval is not None and not self._loops:
            loop = asyncio.get_running_loop()
            self._loops = [loop.create_task(self._refresh_forever(), name='presence refresh'),
                           loop.create_task(self._sweep_forever(), name='presence sweep')]

    async def stop(self) -> None:
        """Stop the background work. This process's entries are left to expire: people whose pages reconnect to
        another process (a restart behind a load balancer) then do not flicker offline."""
        tasks = [*self._loops, *self._tasks.values()]
        self._loops = []
        for handle in self._graces.values():
            handle.cancel()
        self._graces.clear()
        for task in tasks:
            # Python 3.11's asyncio.wait_for can swallow a cancellation inside redis-py's connection handshake
            # (see chatapp.broker.redis): cancel until the task has really ended.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not report it

    async def refresh(self) -> None:
        """Renew this process's entries in one batch; re-register any that expired meanwhile (this process was
        stalled or cut off past the TTL, and another announced its people offline), and retry failed changes."""
        try:
            lost = await self.store.refresh(list(self._registered))
        except Exception as error:
            log.warning('presence entries not renewed (%s)', error)
            return
        for user_id in lost:
            if user_id not in self._tasks:  # a change in flight explains a missing entry
                self._registered.discard(user_id)
        for user_id in self._held ^ self._registered:
            self._reconcile_soon(user_id)

    async def sweep(self) -> None:
        """Announce offline the people whose processes all stopped vouching for them."""
        try:
            gone = await self.store.sweep()
        except Exception as error:
            log.warning('presence sweep failed (%s)', error)
            return
        for user_id in gone:
            await self._announce(user_id, False)

    async def _refresh_forever(self) -> None:
        assert self.store.refresh_interval is not None
        while True:
            await asyncio.sleep(self.store.refresh_interval)
            await self.refresh()

    async def _sweep_forever(self) -> None:
        assert self.store.refresh_interval is not None
        while True:
            await self.sweep()  # first at start: people a dead predecessor left behind
            await asyncio.sleep(self.store.refresh_interval)
