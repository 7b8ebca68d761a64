"""The remembered ``expects_arguments`` gives NiceGUI the answers its own gives, for every kind of callable."""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from nicegui import helpers

from chatapp import speedups


class Widget:
    def update(self) -> None: ...

    def takes(self, value: int) -> None: ...

    def optional(self, value: int = 0, *args: Any, **kwargs: Any) -> None: ...

    @classmethod
    def made(cls, value: int) -> None: ...

    @staticmethod
    def static(value: int) -> None: ...

    def __call__(self, value: int) -> None: ...


def plain(value: int) -> None: ...


CALLABLES: list[Callable[..., Any]] = [
    Widget().update, Widget().takes, Widget().optional, Widget.made, Widget.static, Widget.takes, Widget(),
    plain, lambda: None, lambda event: None, functools.partial(plain), functools.partial(plain, 1), print,
]


@pytest.mark.parametrize('func', CALLABLES)
def test_same_answer_as_nicegui(func: Callable[..., Any]) -> None:
    assert speedups.expects_arguments(func) == speedups._original(func)
    assert speedups.expects_arguments(func) == speedups._original(func)  # remembered: still the same


def test_bound_and_unbound_answers_are_kept_apart() -> None:
    assert speedups.expects_arguments(Widget.takes) is True  # (self, value)
    assert speedups.expects_arguments(Widget().update) is False  # bound: no argument left
    assert speedups.expects_arguments(Widget.update) is True  # unbound: self is still needed


def test_installed_by_the_app(user: Any) -> None:
    assert helpers.expects_arguments is speedups.expects_arguments  # tests/main.py built the app with create_app


PAYLOADS: list[Any] = [
    None, 1, 'text', b'bytes', bytearray(b'x'), [], {}, [1, 'a', None], [1, [2, [3, b'deep']]], {'a': {'b': [b'x']}},
    {'a': {'b': ['x', {'c': 1}]}}, {b'key': 1}, (b'in a tuple',), [{'id': 1, 'props': {'text': 'hello'}}] * 50,
]


@pytest.mark.parametrize('payload', PAYLOADS)
def test_binary_check_answers_as_python_socketio(payload: Any) -> None:
    assert speedups.data_is_binary(payload) == speedups._original_is_binary(payload)


def test_python_socketio_uses_the_one_walk_check() -> None:
    from socketio.packet import Packet

    assert Packet.data_is_binary is speedups.data_is_binary  # tests/main.py built the app with create_app
    assert Packet(data=['event', {'payload': b'x'}]).packet_type == Packet(data=[b'x']).packet_type != \
        Packet(data=['event', {'payload': 'x'}]).packet_type


def test_the_server_ui_run_builds_speaks_sans_io_websockets() -> None:
    """``ui.run`` asks for wsproto by keyword; the installed config class answers with uvicorn's sans-I/O protocol,
    whose frames are masked and parsed by the websockets library's C code."""
    from nicegui import ui_run
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    speedups.install()
    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    config = ui_run.CustomServerConfig(asgi, ws='wsproto')
    assert config.ws == 'websockets-sansio'
    config.load()
    assert config.ws_protocol_class is WebSocketsSansIOProtocol


class _Page:
    """What ``outbox_loop`` reads of a NiceGUI ``Outbox``: a connected client, updates, messages and an emitter."""

    def __init__(self) -> None:
        self.client = SimpleNamespace(id='c1', has_socket_connection=True)
        self.updates: dict[int, Any] = {}
        self.messages: deque[Any] = deque()
        self.sent: list[Any] = []
        self._loaded_components: set[str] = set()
        self._should_stop = False
        self._enqueue_event: asyncio.Event | None = None

    async def _emit(self, message: Any) -> None:
        self.sent.append(message)


def _awaited(task: asyncio.Task[None]) -> list[str]:
    """The names of the coroutines ``task`` is suspended in, outermost first."""
    names, coro = [], task.get_coro()
    while coro is not None and hasattr(coro, 'cr_code'):
        names.append(coro.cr_code.co_name)
        coro = coro.cr_await
    return names


async def test_an_idle_outbox_waits_for_its_event_with_no_timeout() -> None:
    """NiceGUI's loop waits in ``wait_for(..., timeout=1.0)``: a task, a timer and a cancellation a second for each
    open page. The installed loop waits on the event itself, still sends what is enqueued, and ends on ``stop``."""
    from nicegui.outbox import Outbox

    assert Outbox.loop is speedups.outbox_loop  # tests/main.py built the app with create_app
    page = _Page()
    task = asyncio.create_task(speedups.outbox_loop(page))  # type: ignore[arg-type]
    for _ in range(3):
        await asyncio.sleep(0)
    assert _awaited(task) == ['outbox_loop', 'wait']
    assert page._enqueue_event is not None
    page.messages.append(('c1', 'run_javascript', {'code': '1'}))
    page._enqueue_event.set()
    for _ in range(3):
        await asyncio.sleep(0)
    assert page.sent == [('c1', 'run_javascript', {'code': '1'})]
    assert _awaited(task) == ['outbox_loop', 'wait']
    page._should_stop = True
    page._enqueue_event.set()
    await asyncio.wait_for(task, timeout=5)
