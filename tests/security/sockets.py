"""Sockets opened by hand, as an attacker's script opens them: any page's ids, any cookie jar, any message.

The honest side (signing in, clicking, sending) is the load tool's ``Person`` and ``Tab``; this only adds what no
browser does: a socket for a page of someone else's, and messages of any shape.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import socketio

from bench.server import AppProcess
from bench.tab import SOCKET_PATH, Browser, Tab

WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class PageIds:
    """What a socket needs to name a page: its ``client_id`` (from the page's HTML) and its tab's id."""

    client_id: str
    tab_id: str
    next_message_id: int = 0

    @classmethod
    def of(cls, tab: Tab) -> PageIds:
        assert tab.page is not None, 'the tab has no page'
        return cls(tab.page.query['client_id'], tab.tab_id, int(tab.page.query['next_message_id']))


@dataclass
class RawSocket:
    """A socket.io connection to the app, with whatever cookies ``browser`` holds, recording what it receives."""

    sio: socketio.AsyncClient
    received: list[tuple[str, Any]] = field(default_factory=list)

    @classmethod
    async def open(cls, browser: Browser, page: PageIds, *, implicit: bool = True) -> RawSocket:
        """Connect naming ``page``; with ``implicit`` the connection is the handshake (as ``nicegui.js`` does), and a
        refused handshake raises ``socketio.exceptions.ConnectionError``."""
        sio = socketio.AsyncClient(reconnection=False, http_session=browser.http)
        sock = cls(sio)
        sio.on('*', sock._record)
        query = {'client_id': page.client_id, 'tab_id': page.tab_id, 'document_id': str(uuid.uuid4()),
                 'old_tab_id': '', 'next_message_id': page.next_message_id,
                 'implicit_handshake': 'true' if implicit else 'false'}
        try:
            await sio.connect(f'{browser.base_url}?{urlencode(query)}', socketio_path=SOCKET_PATH,
                              transports=['websocket'], headers={'Origin': browser.base_url},
                              wait_timeout=WAIT_SECONDS)
        except BaseException:
            await sock.close()
            raise
        return sock

    async def handshake(self, page: PageIds) -> bool:
        """The explicit ``handshake`` message (what ``nicegui.js`` sends when the connection was not the handshake)."""
        return bool(await self.sio.call('handshake', {
            'client_id': page.client_id, 'tab_id': page.tab_id, 'document_id': str(uuid.uuid4()),
            'old_tab_id': None, 'next_message_id': page.next_message_id}, timeout=WAIT_SECONDS))

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    async def send_packet(self, raw: str) -> None:
        """An engine.io message of our own making: a socket.io packet as text, well-formed or not."""
        await self.sio.eio.send(raw)

    @property
    def updates(self) -> int:
        """How many ``update`` messages of a page reached this socket."""
        return sum(1 for event, _ in self.received if event == 'update')

    async def close(self) -> None:
        await self.sio.disconnect()
        self.sio.eio.http = None  # engine.io would close the browser's session when collected (see bench.tab)

    async def _record(self, event: str, data: Any = None) -> None:
        self.received.append((event, data))


async def wait_for_line(app: AppProcess, words: str, within: float = WAIT_SECONDS) -> str:
    """The first line of the app's output containing ``words``, once there."""
    deadline = time.monotonic() + within
    while True:
        line = next((line for line in app.output().splitlines() if words in line), None)
        if line is not None:
            return line
        if time.monotonic() > deadline:
            raise AssertionError(f'the app did not log {words!r} within {within:.0f} s; its output:\n{app.output()}')
        await asyncio.sleep(0.1)


async def wait_until(check: Any, what: str, within: float = WAIT_SECONDS) -> None:
    """Until ``check()`` is true (a state in the database, say)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f'waited {within:.0f} s for {what}')
        await asyncio.sleep(0.1)
