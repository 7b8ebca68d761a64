"""A browser without a browser: cookies, tabs, pages over HTTP and NiceGUI's socket.io connection.

Each ``Browser`` has its own cookie jar (one person's browser); each ``Tab`` has its own tab id, like a browser tab's
``sessionStorage``. A tab loads a page over HTTP, connects ``/_nicegui_ws/socket.io`` with the page's ``client_id``
and its own ``tab_id``, ``document_id`` and ``next_message_id`` (``implicit_handshake=true``, as ``nicegui.js``
does), sends the ``event`` messages a person's typing and clicking would send, applies every ``update`` to its
mirror, follows ``open`` (navigation), answers ``run_javascript`` and acknowledges what it received, as the browser
does every 3 s (the server keeps a page's unacknowledged history until then).

Like Chromium, a tab echoes a value that the server sets: NiceGUI's ``ui.input`` follows a ``set_value`` with
``runMethod(id, "updateValue")``, and the browser's input then emits its ``update:value`` with that value (recorded in
headless Chromium: a failed login's ``password.set_value('')`` comes back as ``update:value ""``). Every websocket
frame each way is counted with its size (``Tab.traffic``), as Chromium's performance log counts them.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

import aiohttp
import socketio

from bench.page import Element, Page, PageError, listener

SOCKET_PATH = '/_nicegui_ws/socket.io'
ACK_SECONDS = 3.0
RECONNECT_ATTEMPTS = 3
RECONNECT_PAUSE = 1.0
WAIT_SECONDS = 30.0
BROWSER_ZONE = 'UTC'
ASK_ZONE = 'Intl.DateTimeFormat().resolvedOptions().timeZone'
VISIBILITY = 'chatapp_visibility'
"""The global event a chat page's script raises with the tab's ``document.visibilityState`` and whether its message
list is scrolled to the bottom (``pages/chat/attention.py``): what decides that messages count as read."""

_UPDATE_VALUE = re.compile(r'runMethod\((\d+), "updateValue", \[\]\)')
_REPLACE = re.compile(r'location\.replace\(("(?:[^"\\]|\\.)*")\)')
"""The app's way of moving a tab without a history entry (``pages.dormancy``): a JSON-encoded path."""
"""What NiceGUI's ``ui.input`` runs after the server set its value (``Input._handle_value_change``)."""

UpdateHook = Callable[[str, Element, float], None]
"""Called with (element id, element, arrival time) for every element an ``update`` brings."""


@dataclass
class Traffic:
    """Websocket frames and their bytes (UTF-8), each way: engine.io's pings and pongs and socket.io's messages, as
    Chromium's performance log counts them (``Network.webSocketFrameSent`` / ``Received``)."""

    frames_sent: int = 0
    bytes_sent: int = 0
    frames_received: int = 0
    bytes_received: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    """Frames by way and kind: ``sent event``, ``received update``, ``sent pong`` ... (``frame_kind``)."""

    def count(self, way: str, data: str | bytes) -> None:
        """One frame ``sent`` or ``received``."""
        size = len(data.encode() if isinstance(data, str) else data)
        if way == 'sent':
            self.frames_sent += 1
            self.bytes_sent += size
        else:
            self.frames_received += 1
            self.bytes_received += size
        self.kinds[f'{way} {frame_kind(data)}'] += 1

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(self.frames_sent + other.frames_sent, self.bytes_sent + other.bytes_sent,
                       self.frames_received + other.frames_received, self.bytes_received + other.bytes_received,
                       self.kinds + other.kinds)

    def __sub__(self, other: Traffic) -> Traffic:
        return Traffic(self.frames_sent - other.frames_sent, self.bytes_sent - other.bytes_sent,
                       self.frames_received - other.frames_received, self.bytes_received - other.bytes_received,
                       self.kinds - other.kinds)

    def per(self, count: int) -> dict[str, Any]:
        """Each figure per ``count`` (messages), named as the scenarios' rows name them."""
        n = max(count, 1)
        return {'frames_sent_per_msg': round(self.frames_sent / n, 2),
                'frames_received_per_msg': round(self.frames_received / n, 2),
                'bytes_sent_per_msg': round(self.bytes_sent / n),
                'bytes_received_per_msg': round(self.bytes_received / n),
                'frame_kinds_per_msg': {kind: round(count / n, 2) for kind, count in sorted(self.kinds.items())}}


class CountingSocket(aiohttp.ClientWebSocketResponse):
    """aiohttp's websocket that adds every text or binary frame to ``traffic``, once a tab has given it one (the
    handshake before that is per connection, not per message)."""

    traffic: Traffic | None = None

    async def send_str(self, data: str, compress: int | None = None) -> None:
        if self.traffic is not None:
            self.traffic.count('sent', data)
        await super().send_str(data, compress)

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        if self.traffic is not None:
            self.traffic.count('sent', data)
        await super().send_bytes(data, compress)

    async def receive(self, timeout: float | None = None) -> Any:  # noqa: ASYNC109 (aiohttp's own signature)
        message = await super().receive(timeout)
        if self.traffic is not None and isinstance(message.data, (str, bytes)):
            self.traffic.count('received', message.data)
        return message


def frame_kind(data: str | bytes) -> str:
    """What a frame is: socket.io's event name (``42["update",…`` -> ``update``), else engine.io's packet type."""
    text = data if isinstance(data, str) else 'binary'
    if text.startswith('42["'):
        return text[4:text.find('"', 4)]
    return {'2': 'ping', '3': 'pong', '4': 'message', '1': 'close', '0': 'open'}.get(text[:1], 'other')


def loopback(n: int, network: int = 1) -> str:
    """The ``n``-th address of 127.``network``.0.0/16, a source address of its own for one simulated person: the app
    counts some limits per client address, and people do not share one (their traffic stays on this machine)."""
    if not 0 <= n < 254 * 256:
        raise ValueError(f'no loopback address number {n}')
    return f'127.{network}.{n // 254}.{n % 254 + 1}'


class Browser:
    """One person's browser: a cookie jar and the tabs that share it. Traffic only to 127.0.0.1, from ``source``
    (an address of the loopback network; default 127.0.0.1)."""

    def __init__(self, base_url: str, source: str | None = None) -> None:
        if urlparse(base_url).hostname != '127.0.0.1':
            raise ValueError('the load tool talks to 127.0.0.1 only')
        if source is not None and not source.startswith('127.'):
            raise ValueError('the load tool sends from loopback addresses only')
        self.base_url = base_url.rstrip('/')
        # unsafe=True: keep cookies for an IP address. force_close: with keep-alive, aiohttp let a websocket share a
        # pooled connection that its idle-connection cleanup then closed, some 15 s later, under the socket.
        connector = aiohttp.TCPConnector(force_close=True, limit=0, local_addr=(source, 0) if source else None)
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector,
                                          ws_response_class=CountingSocket,
                                          timeout=aiohttp.ClientTimeout(total=None, sock_connect=WAIT_SECONDS))

    def tab(self) -> Tab:
        return Tab(self)

    async def close(self) -> None:
        await self.http.close()


class Tab:
    """One tab: the current page's mirror and socket."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.tab_id = str(uuid.uuid4())
        self.page: Page | None = None
        self.connected = False
        self.drops = 0
        """How often the socket was closed by anyone but this tab."""
        self.dropped_at: float | None = None
        """When the server (or the network) last closed the socket (``perf_counter``)."""
        self.reconnects = True
        """What ``nicegui.js`` does after a drop; a flooding client that the server shut out does not."""
        self.looking = True
        """A person looks at this tab (visible, at the newest messages): answer the chat page's visibility script
        as a visible browser tab does, so that what the page shows is read, and the app does its read receipts."""
        self.loads = 0
        """Pages loaded so far: an element id means the same element only within one load."""
        self.hooks: list[UpdateHook] = []
        self.traffic = Traffic()
        """Every frame of every socket this tab had, each way."""
        self.echoes = 0
        """Values the server set that this tab sent back, as a browser's input does."""
        self._shut = asyncio.Event()  # set when anyone but this tab closes the socket
        self._socket: socketio.AsyncClient | None = None
        self._changed = asyncio.Condition()
        self._next_message_id = 0
        self._acked = -1
        self._ack_task: asyncio.Task[None] | None = None
        self._navigation: asyncio.Task[None] | None = None
        self._reconnection: asyncio.Task[None] | None = None
        self._document_id = ''  # a new one for each page load, the same across reconnects

    @property
    def path(self) -> str:
        return self.page.path if self.page else ''

    async def goto(self, path: str) -> None:
        """Load ``path`` and connect its socket, closing the previous page's, like following a link."""
        await self._disconnect()
        self.connected = False
        async with self.browser.http.get(self.browser.base_url + path) as response:
            html = await response.text()
            final = response.url.path_qs  # after HTTP redirects (a visitor sent to /login)
        page = Page.parse(final, html)
        self.page = page
        self.loads += 1
        self._next_message_id = int(page.query['next_message_id'])
        self._acked = -1
        self._document_id = str(uuid.uuid4())
        await self._connect()

    async def _connect(self) -> None:
        """Connect the page's socket, telling the server which message this document expects next."""
        assert self.page is not None
        query = {**self.page.query, 'tab_id': self.tab_id, 'document_id': self._document_id, 'old_tab_id': '',
                 'next_message_id': self._next_message_id, 'implicit_handshake': 'true'}
        sio = socketio.AsyncClient(reconnection=False, http_session=self.browser.http)
        for event in ('update', 'open', 'run_javascript', 'notify', 'load_js_components', 'download'):
            sio.on(event, self._handler(event))
        sio.on('disconnect', self._dropped)
        try:
            await sio.connect(f'{self.browser.base_url}?{urlencode(query)}', socketio_path=SOCKET_PATH,
                              transports=['websocket'], headers={'Origin': self.browser.base_url},
                              wait_timeout=WAIT_SECONDS)
        except BaseException:
            sio.eio.http = None  # see _disconnect
            raise
        if isinstance(sio.eio.ws, CountingSocket):
            sio.eio.ws.traffic = self.traffic
        self._socket = sio
        self.connected = True
        self._ack_task = asyncio.create_task(self._ack_loop())
        await self._notify()

    async def _reconnect(self) -> None:
        """What ``nicegui.js`` does when the server drops the socket: connect again as the same document, so the
        server replays the updates it missed; if the page is gone meanwhile, load it anew."""
        await self._disconnect()
        for _ in range(RECONNECT_ATTEMPTS):
            try:
                await self._connect()
                return
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(RECONNECT_PAUSE)
        await self.goto(self.path)

    async def close(self) -> None:
        await self._disconnect()

    # --- what a person does ----------------------------------------------------------------------------------------

    async def type(self, testid: str, text: str) -> None:
        """Set an input's value, as the browser reports each change (``update:value`` for NiceGUI's own input,
        ``update:modelValue`` for Quasar's)."""
        element_id, element = await self.wait_for(testid)
        kind = next(e['type'] for e in element.get('events', []) if e['type'].startswith('update:'))
        await self._emit(element_id, listener(element, kind), text)

    async def click(self, testid: str) -> None:
        element_id, element = await self.wait_for(testid)
        await self._emit(element_id, listener(element, 'click'), {})

    async def emit(self, testid: str, kind: str, arg: Any, key: str | None = None) -> None:
        """Send ``arg`` as the one argument of ``testid``'s ``kind`` listener (``key``: of a key listener), as an
        element's own script does with ``emit(arg)``."""
        element_id, element = await self.wait_for(testid)
        await self._emit(element_id, listener(element, kind, key), arg)

    async def wait_for(self, testid: str, within: float = WAIT_SECONDS) -> tuple[int, Element]:
        """The element ``testid`` once the page shows it."""
        found = await self.wait_until(lambda page: page.find(testid), within, f'{testid!r} on {self.path}')
        assert found is not None
        return found

    async def wait_until(self, check: Callable[[Page], Any], within: float = WAIT_SECONDS, what: str = '') -> Any:
        """The first true value of ``check(page)``, evaluated after every change of page or update."""
        async def until() -> Any:
            async with self._changed:
                while True:
                    if self.page is not None and (value := check(self.page)):
                        return value
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(until(), within)
        except TimeoutError:
            raise PageError(f'waited {within:.0f} s for {what or "a condition"}; the tab shows {self.path}: '
                            f'{self._visible_text()}') from None

    def _visible_text(self) -> str:
        """The texts on the page (to say what a person would have seen when something went wrong)."""
        if self.page is None:
            return ''
        texts = [str(e.get('text') or e.get('props', {}).get('label') or '') for e in self.page.elements.values()]
        return ' | '.join(t for t in texts if t)[:500]

    async def wait_for_path(self, path: str, within: float = WAIT_SECONDS) -> None:
        """Wait until a navigation has loaded and connected ``path``."""
        await self.wait_until(lambda page: page.path == path and self.connected, within, f'page {path}')

    # --- the socket ------------------------------------------------------------------------------------------------

    async def send_event(self, element_id: int, listener_id: str, arg: Any) -> None:
        """One ``event`` message now, ``args`` as ``nicegui.js``'s ``stringifyEventArgs`` makes them (a list of JSON
        texts); ``PageError`` when the socket is closed."""
        if not self.connected or self._socket is None or self.page is None:
            raise PageError('no page is connected')
        text = json.dumps(arg, separators=(',', ':'))  # compact, like JSON.stringify
        await self._socket.emit('event', {'id': element_id, 'client_id': self.page.query['client_id'],
                                          'listener_id': listener_id, 'args': [text]})

    async def flushed(self, within: float) -> int:
        """Wait until every event sent so far has left this tab (python-engineio queues each emit at once and writes
        them as fast as the socket takes them), the server closed the socket, or ``within`` seconds passed; returns
        how many events never left."""
        if self._socket is None:
            return 0
        queue = self._socket.eio.queue
        waits = {asyncio.ensure_future(queue.join()), asyncio.ensure_future(self._shut.wait())}
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        return queue.qsize()

    async def _emit(self, element_id: int, listener_id: str, arg: Any) -> None:
        if not self.connected:  # reconnecting: a browser queues the event until the socket is back
            await self.wait_until(lambda _: self.connected, what='the socket to reconnect')
        await self.send_event(element_id, listener_id, arg)

    def _handler(self, event: str) -> Callable[[Any], Any]:
        async def handle(message: Any = None) -> None:
            arrived = time.perf_counter()
            if isinstance(message, dict) and '_id' in message:
                if message['_id'] < self._next_message_id:
                    return  # a replay of what this page has
                self._next_message_id = message.pop('_id') + 1
            if event == 'update' and self.page is not None:
                self.page.apply(message)
                for element_id, element in message.items():
                    if element is not None:
                        for hook in self.hooks:
                            hook(element_id, element, arrived)
                await self._notify()
            elif event == 'open':
                self._navigation = asyncio.create_task(self.goto(message['path']))
            elif event == 'run_javascript':
                with suppress(PageError):  # the tab closed while the script was on its way: a browser drops it
                    await self._answer(message)
        return handle

    async def _answer(self, message: dict[str, Any]) -> None:
        """Answer a script the server runs, as far as this tool can: the time zone, and the visibility event that
        the chat page's script raises in a tab a person looks at; else nothing."""
        code = str(message.get('code'))
        if message.get('request_id') and self._socket is not None and self.page is not None:
            result = BROWSER_ZONE if ASK_ZONE in code else None
            await self._socket.emit('javascript_response', {'request_id': message['request_id'],
                                                            'client_id': self.page.query['client_id'],
                                                            'result': result})
        if f'emitEvent({json.dumps(VISIBILITY)}' in code:
            await self._raise(VISIBILITY, {'state': 'visible', 'bottom': True} if self.looking else {'state': 'hidden'})
        if replaced := _REPLACE.search(code):
            self._navigation = asyncio.create_task(self.goto(json.loads(replaced.group(1))))
        for element_id in _UPDATE_VALUE.findall(code):
            await self._echo(element_id)

    async def _echo(self, element_id: str) -> None:
        """The input's ``updateValue`` in the browser: it takes the value the server set and emits it back as its
        own change (``update:value``), as Chromium does."""
        element = self.page.elements.get(element_id) if self.page is not None else None
        kind = next((e['type'] for e in (element or {}).get('events', []) if e['type'].startswith('update:')), None)
        if element is None or kind is None:
            return
        prop = 'value' if kind == 'update:value' else 'model-value'
        await self.send_event(int(element_id), listener(element, kind), element.get('props', {}).get(prop))
        self.echoes += 1
        await self._notify()

    async def _raise(self, kind: str, arg: Any) -> None:
        """``emitEvent(kind, arg)`` in the browser: the global event reaches every listener for it."""
        if self.page is None:
            return
        for element_id, element in list(self.page.elements.items()):
            for event in element.get('events', []):
                if event['type'] == kind:
                    await self.send_event(int(element_id), str(event['listener_id']), arg)

    async def show(self, visible: bool) -> None:
        """The person turns to this tab or away from it: the browser's ``visibilitychange``, as the page's script
        reports it."""
        self.looking = visible
        await self._raise(VISIBILITY, {'state': 'visible' if visible else 'hidden'})

    async def _ack_loop(self) -> None:
        while True:
            await asyncio.sleep(ACK_SECONDS)
            if self.connected and self._socket is not None and self.page is not None \
                    and self._acked < self._next_message_id:
                self._acked = self._next_message_id
                await self._socket.emit('ack', {'client_id': self.page.query['client_id'],
                                                'next_message_id': self._next_message_id})

    def _dropped(self, reason: str = '') -> None:
        """The server or the network closed the socket (not this tab): count it and reconnect."""
        if reason != 'client disconnect':
            self.drops += 1
            self.dropped_at = time.perf_counter()
            self._shut.set()
            self.connected = False
            if self.reconnects:
                self._reconnection = asyncio.create_task(self._reconnect())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _disconnect(self) -> None:
        if self._ack_task is not None:
            self._ack_task.cancel()
            self._ack_task = None
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.disconnect()
            # engine.io's client closes its HTTP session when garbage-collected, even one it was given: that would
            # close the browser's session and every socket on it, so take the session back first.
            socket.eio.http = None
