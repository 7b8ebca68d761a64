"""Measured speed-ups inside NiceGUI 3.18 and python-socketio 5 (pinned), until they are fixed upstream: four here,
and the index of a socket's rooms in ``chatapp.socket_rooms``.

**Signatures.** Every NiceGUI element makes three observable collections (props, classes, style), and each asks
``helpers.expects_arguments(on_change)``, which runs ``inspect.signature`` on the element's bound ``update`` method:
three signature computations per element, one per handled event too. The load benchmark's profile of logins
(docs/benchmarks.md, scenario g) put ``inspect.signature`` at a tenth of the server's CPU. The answer depends only
on the function, so it is computed once per function here: for a bound method, once per underlying function (the
bound instance changes nothing in the answer). Anything else (a ``functools.partial``, a callable object) is asked
as before. Functions are weakly held, so a lambda made per element leaves no entry behind.

**Binary checks.** python-socketio asks ``Packet.data_is_binary`` of every packet it sends: is there ``bytes``
anywhere in the payload? Its answer builds a list of answers at every level and never stops early, and NiceGUI's
payloads are whole element updates, so in a group of 100 it was 8 % of the server's samples (docs/benchmarks.md,
issue 9). ``data_is_binary`` gives the same answer for every payload with one walk that stops at the first
``bytes``.

**WebSocket frames.** ``ui.run`` hands uvicorn ``ws='wsproto'`` (to leave the deprecated ``websockets.legacy``),
and wsproto frames, parses and unmasks every message in pure Python. uvicorn's own default since 0.50,
``websockets-sansio``, does the same work with the websockets library's C speed-ups: by turns in scenario a it cost
about 6 % less server CPU a message (docs/benchmarks.md, issue 9). ``ui.run`` passes its keyword to the config it
builds, so the config class it uses is the one replaced.

**Idle outboxes.** Every page's outbox waits for its next update with ``asyncio.wait_for(event.wait(), timeout=1.0)``
and starts again when the second is up. Each such timeout makes a task, a timer and a cancellation: with 1,000 open
pages that was a thousand a second, a quarter of what an idle server's event loop did (py-spy of scenario d's pages
with no message moving, docs/benchmarks.md). The timeout wakes nothing: ``Outbox.stop`` and every enqueue set the
event. ``outbox_loop`` is NiceGUI's loop with a plain wait.
"""

from __future__ import annotations

import asyncio
import types
import weakref
from collections.abc import Callable
from typing import Any

from nicegui import core, helpers, ui_run
from nicegui.dependencies import JsComponent
from nicegui.outbox import Deleted, Outbox, deleted
from nicegui.server import CustomServerConfig
from socketio.packet import Packet

from chatapp import socket_rooms

WEBSOCKETS = 'websockets-sansio'

_original: Callable[[Callable[..., Any]], bool] = helpers.expects_arguments
_answers: weakref.WeakKeyDictionary[Any, dict[bool, bool]] = weakref.WeakKeyDictionary()
"""function -> {bound: answer}: the answer for the function itself (False) and for it bound to an instance (True)"""


def expects_arguments(func: Callable[..., Any]) -> bool:
    """``nicegui.helpers.expects_arguments``, remembered per function."""
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        function, bound = func.__func__, True
    elif isinstance(func, types.FunctionType):
        function, bound = func, False
    else:
        return _original(func)
    answers = _answers.setdefault(function, {})
    if bound not in answers:
        answers[bound] = _original(func)
    return answers[bound]


def data_is_binary(data: Any) -> bool:
    """``socketio.packet.Packet.data_is_binary``: whether ``bytes`` or ``bytearray`` is in ``data``, looking into
    lists and dict values as the original does (not into tuples or keys), in one walk that stops at the first."""
    todo = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, (bytes, bytearray)):
            return True
        if isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
    return False


_original_is_binary: Callable[[Any], bool] = Packet.data_is_binary


class SansIOServerConfig(CustomServerConfig):
    """NiceGUI's server config with uvicorn's sans-I/O websockets protocol in place of the ``wsproto`` it asks for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs['ws'] = WEBSOCKETS
        super().__init__(*args, **kwargs)


def install() -> None:
    """Use the remembering ``expects_arguments`` wherever NiceGUI asks, and the one-walk binary check wherever
    python-socketio asks, the sans-I/O websockets for the server ``ui.run`` starts, and the room index
    (idempotent)."""
    helpers.expects_arguments = expects_arguments
    Packet.data_is_binary = staticmethod(data_is_binary)
    ui_run.CustomServerConfig = SansIOServerConfig  # type: ignore[misc]
    Outbox.loop = outbox_loop  # type: ignore[method-assign]
    socket_rooms.install()


async def outbox_loop(self: Outbox) -> None:
    """``nicegui.outbox.Outbox.loop`` (3.18) waiting for the next update without a timeout (see the module)."""
    self._enqueue_event = asyncio.Event()
    self._enqueue_event.set()
    while not self._should_stop:
        try:
            if not self._enqueue_event.is_set():
                await self._enqueue_event.wait()
                continue  # woken by an enqueue or by ``stop``: the loop's condition is looked at again
            client = self.client
            if not client or not client.has_socket_connection:
                await asyncio.sleep(0.1)
                continue
            self._enqueue_event.clear()
            coros = []
            if self.updates:
                data = {element_id: None if element is deleted else element._to_dict()  # type: ignore[union-attr]
                        for element_id, element in self.updates.items()}
                js_components = [component for element in self.updates.values()
                                 if not isinstance(element, Deleted)
                                 and isinstance((component := element.component), JsComponent)
                                 and component.name not in self._loaded_components]
                if js_components:
                    coros.append(self._emit((client.id, 'load_js_components', {
                        'components': [{'key': c.key, 'tag': c.tag} for c in js_components]})))
                    self._loaded_components.update(c.name for c in js_components)
                coros.append(self._emit((client.id, 'update', data)))
                self.updates.clear()
            if self.messages:
                for message in self.messages:
                    coros.append(self._emit(message))
                self.messages.clear()
            for coro in coros:
                try:
                    await coro
                except Exception as e:  # as NiceGUI's loop: one failed emit must not end the page
                    core.app.handle_exception(e)
        except asyncio.CancelledError:
            break
        except Exception as e:
            core.app.handle_exception(e)
            await asyncio.sleep(0.1)
