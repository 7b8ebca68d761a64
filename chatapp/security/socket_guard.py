"""Every socket.io message answers to the browser and the socket that own the page it names.

NiceGUI 3.18 dispatches a message by the ``client_id`` inside it, not by the socket that sent it, and its handshake
does not look at the browser's session: any socket that learns a page's ``client_id`` (it travels in the socket URL,
so proxy logs hold it) could act as that page or take it over. The guard wraps NiceGUI's own socket.io handlers,
which still do all the work, and lets a message through only when

- a handshake (implicit in ``connect``, or the ``handshake`` event) carries the signed session cookie of the browser
  that rendered the page (``socket_session``);
- an ``event``, ``javascript_response``, ``ack`` or ``log`` arrives on a socket that handshook that very page;
- the socket is within its budget (``socket_budget``) and the message has the shape NiceGUI reads
  (``socket_messages``).

What is refused is counted and reported in a few log lines (``socket_refusals``), never as a traceback.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from nicegui import Client, background_tasks, core
from socketio.exceptions import ConnectionRefusedError as Refused

from chatapp.security.socket_budget import SocketBudget, Verdict
from chatapp.security.socket_messages import tamed_log, well_formed
from chatapp.security.socket_refusals import Refusals
from chatapp.security.socket_session import SessionReader, page_browser
from chatapp.settings import Settings

Handler = Callable[..., Any]

ORIGINAL = '_chatapp_guarded'
"""Attribute of a wrapper holding NiceGUI's handler, so that installing again wraps the original, not a wrapper."""
MESSAGES = ('event', 'javascript_response', 'ack', 'log')
CLOSE_AFTER_BURSTS = 2
"""A socket is closed after sending this many bursts' worth of messages into its empty bucket without a pause."""
LOG_PER_SECOND, LOG_BURST = 1.0, 5.0


def install_socket_guard(settings: Settings) -> SocketGuard:
    """Put a fresh guard in front of NiceGUI's socket.io handlers. Idempotent: each call wraps NiceGUI's originals
    anew (``create_app`` runs once per test, each app with its own settings and counts). ``app.state.socket_guard``
    is the current guard."""
    guard = SocketGuard(settings.resolved_secret(), settings.socket_events_per_second)
    handlers = core.sio.handlers.get('/', {})
    for name, method in (('connect', guard.connect), ('handshake', guard.handshake),
                         ('disconnect', guard.disconnect), *((name, guard.message) for name in MESSAGES)):
        original = getattr(handlers[name], ORIGINAL, handlers[name])
        core.sio.on(name, _wrap(method, name, original))
    connection_handlers: tuple[tuple[str, Callable[..., Awaitable[Any]]], ...] = (
        ('message', guard.packet), ('disconnect', guard.connection_closed))
    for name, connection_method in connection_handlers:
        original = core.sio.eio.handlers[name]  # engine.io hands socket.io each packet to decode here
        core.sio.eio.on(name, _wrap(connection_method, name, getattr(original, ORIGINAL, original)))
    # Each packet is budgeted where it is read, before anything else is spent on it: engine.io would otherwise make
    # a task per packet first (a flood of thousands of packets read at once filled the event loop with them and
    # held everyone's messages back). socket.io still runs each event's handler in a task of its own.
    core.sio.eio.async_handlers = False
    core.app.state.socket_guard = guard
    return guard


class SocketGuard:
    """The checks, the budgets and the counts (``refusals.counts``) of one app."""

    def __init__(self, secret: str, events_per_second: float) -> None:
        self.refusals = Refusals()
        burst = 2 * events_per_second
        self.budget = SocketBudget(events_per_second, burst, close_after=round(CLOSE_AFTER_BURSTS * burst))
        self.log_budget = SocketBudget(LOG_PER_SECOND, LOG_BURST)
        self._sessions = SessionReader(secret)
        self._closing: set[str] = set()

    async def packet(self, original: Handler, _: str, eio_sid: str, data: Any) -> None:
        """A raw packet of an engine.io connection, charged to that connection's budget before it is decoded; a
        connection that keeps sending over its budget is closed. socket.io logs a traceback for a packet it cannot
        decode; a browser never sends one, so its sender's connection is closed too."""
        if eio_sid in self._closing:
            return  # read after the connection was condemned: not even decoded
        verdict = self.budget.charge(eio_sid)
        if verdict is not Verdict.PASS:
            self.refusals.refuse('over-budget')
            if verdict is Verdict.CLOSE:
                self.refusals.refuse('closed-flood')
                self._condemn(eio_sid)
            return
        try:
            await _call(original, eio_sid, data)
        except Exception:
            self.refusals.refuse('malformed-packet')
            self._condemn(eio_sid)

    async def connection_closed(self, original: Handler, _: str, eio_sid: str, *args: Any) -> None:
        """The engine.io connection ended: forget its budget."""
        self.budget.forget(eio_sid)
        self._closing.discard(eio_sid)
        await _call(original, eio_sid, *args)

    def _condemn(self, eio_sid: str) -> None:
        """Close the connection from a task of its own: this runs inside the connection's reader."""
        self._closing.add(eio_sid)
        background_tasks.create(core.sio.eio.disconnect(eio_sid), name='close a flooding socket')

    async def connect(self, original: Handler, _: str, sid: str, environ: dict[str, Any], auth: Any = None,
                      *__: Any) -> Any:
        query = {k: v[0] for k, v in parse_qs(environ.get('QUERY_STRING', '')).items()}  # as NiceGUI reads it
        if query.get('implicit_handshake', '') == 'true' and not self._may_handshake(sid, query):
            raise Refused('Implicit handshake failed')  # the words nicegui.js answers with a reload
        try:
            return await _call(original, sid, environ, auth)
        except Refused:
            raise
        except Exception:
            self.refusals.refuse('malformed')
            raise Refused('Implicit handshake failed') from None

    async def handshake(self, original: Handler, _: str, sid: str, *args: Any) -> bool:
        if not self._open(sid) or not self._may_handshake(sid, args[0] if len(args) == 1 else None):
            return False
        try:
            return bool(await _call(original, sid, args[0]))
        except Exception:
            self.refusals.refuse('malformed')
            return False

    async def disconnect(self, original: Handler, _: str, sid: str, *__: Any) -> None:
        self.log_budget.forget(sid)
        await _call(original, sid)

    async def message(self, original: Handler, name: str, sid: str, *args: Any) -> None:
        """An ``event``, ``javascript_response``, ``ack`` or ``log``: handled only on the page's own socket."""
        if not self._open(sid):
            return
        msg: Any = args[0] if len(args) == 1 else None
        if not well_formed(name, msg):
            self.refusals.refuse('malformed')
            return
        client = Client.instances.get(msg['client_id'])
        if client is None:
            self.refusals.refuse('unknown-page')
            return
        # the sockets NiceGUI registered for this page in their handshakes
        if sid not in client._socket_to_document_id and not _simulated(sid):
            self.refusals.refuse('foreign-message')
            return
        if name == 'event' and msg['id'] not in client.elements:
            self.refusals.refuse('unknown-element')
            return
        if name == 'log':
            if self.log_budget.charge(sid) is not Verdict.PASS:
                self.refusals.refuse('log-over-budget')
                return
            msg = tamed_log(msg)
        try:
            await _call(original, sid, msg)
        except Exception:  # what NiceGUI could not parse (bad JSON, an unknown listener): no traceback per message
            self.refusals.refuse('malformed')

    @staticmethod
    def _open(sid: str) -> bool:
        """False for a message read before its socket closed: nobody is listening for the answer."""
        return _simulated(sid) or core.sio.manager.is_connected(sid, '/')

    def _may_handshake(self, sid: str, data: Any) -> bool:
        """Whether ``sid`` may handshake the page ``data`` names: only with the session cookie of the browser whose
        request rendered that page. A page that no longer exists is NiceGUI's to refuse (the browser reloads)."""
        if not well_formed('handshake', data):
            self.refusals.refuse('malformed')
            return False
        client = Client.instances.get(data['client_id'])
        if client is None or _simulated(sid):
            return True
        refusal = self._handshake_refusal(client, core.sio.get_environ(sid) or {})
        if refusal:
            self.refusals.refuse(refusal)
        return refusal is None

    def _handshake_refusal(self, client: Client, environ: dict[str, Any]) -> str | None:
        expected = page_browser(client)
        if expected is None:
            return 'handshake-no-session'
        cookie = self._sessions.cookie(environ)
        if cookie is None:
            return 'handshake-no-cookie'
        browser = self._sessions.browser(cookie)
        if browser is None:
            return 'handshake-bad-cookie'
        if not hmac.compare_digest(browser.encode(), expected.encode()):
            return 'handshake-other-browser'
        return None


def _simulated(sid: str) -> bool:
    """NiceGUI's user simulation makes socket ids starting ``test-`` and has no environ; engine.io never makes one
    like that, so no network socket passes for simulated."""
    return sid.startswith('test-')


def _wrap(method: Callable[..., Awaitable[Any]], name: str, original: Handler) -> Handler:
    async def guarded(sid: str, *args: Any) -> Any:
        return await method(original, name, sid, *args)

    setattr(guarded, ORIGINAL, original)
    guarded.__name__ = f'guarded_{name}'
    return guarded


async def _call(handler: Handler, *args: Any) -> Any:
    """Call NiceGUI's handler, sync or async."""
    result = handler(*args)
    return await result if inspect.isawaitable(result) else result
