"""How the process starts listening and how it stops: a busy port is refused before anything starts, and a stop that
was asked for (SIGTERM, Ctrl+C) finishes within ``STOP_SECONDS`` whatever hangs.

uvicorn alone does neither. It binds its port only after the start-up handlers ran, and when that fails it runs the
shutdown handlers and waits for them; a handler that waits for a Redis task which swallowed its cancellation
(Python 3.11's ``asyncio.wait_for`` can lose one) kept the process alive, deaf to SIGTERM, serving nothing. And its
graceful stop waits for every open request and every shutdown handler without a limit.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

STOP_SECONDS = 3.0
"""Longest a stop may take once asked for, after which the process exits without waiting any more. Below the 5 s
within which the issue asks it to end, with room for the poll below and for the exit itself."""
DRAIN_SECONDS = 1.5
"""How long uvicorn waits for requests in flight when asked to stop (``timeout_graceful_shutdown``), part of the
above: a page that waits on a stuck database must not hold the stop."""
POLL_SECONDS = 0.1


def check_address(host: str, port: int) -> None:
    """Raise ``OSError`` unless ``host:port`` can be bound and listened on now, as uvicorn (asyncio) will: with
    ``SO_REUSEADDR`` (a port whose connections linger in TIME_WAIT is free) and IPv6 sockets for IPv6 only."""
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise OSError(f'unknown host {host!r} ({error.strerror})') from None
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
                probe.listen()
            except OSError as error:
                raise OSError(error.errno, error.strerror or str(error)) from None  # no address tuple: one line


def watch_the_stop() -> None:
    """Make every stop finish: register before ``create_app`` (so the shutdown hook runs before the app's own
    shutdown handlers) and before ``ui.run``."""
    from nicegui import app  # not at import: ``--help`` and a bad setting must not wait for NiceGUI to load

    stopping = threading.Event()
    app.on_startup(lambda: _start_watch(stopping))
    app.on_shutdown(lambda: _shutting_down(stopping))


def _start_watch(stopping: threading.Event) -> None:
    """A daemon thread that notices the stop (uvicorn's ``should_exit``, set by its signal handler, or our shutdown
    hook) and ends the process ``STOP_SECONDS`` later if it is still alive. A thread, not a task: the event loop
    may be the thing that is stuck, and after Ctrl+C the interpreter waits for busy worker threads on its way out."""
    from nicegui.server import Server

    server = Server.instance

    def watch() -> None:
        while not (server.should_exit or stopping.is_set()):
            stopping.wait(POLL_SECONDS)
        time.sleep(STOP_SECONDS)
        _exit_now(f'stopping took more than {STOP_SECONDS:g} s; exiting without waiting for the rest', status=1)

    threading.Thread(target=watch, name='chatapp-stop-watch', daemon=True).start()


def _shutting_down(stopping: threading.Event) -> None:
    """The first shutdown handler. When uvicorn never listened (it could not bind: another process took the port
    after ``check_address``), there is nothing to finish: uvicorn has logged why, and the process ends now with
    status 1 instead of waiting for shutdown handlers that have nothing to do."""
    from nicegui.server import Server

    stopping.set()
    if not Server.instance.started:
        _exit_now(None, status=1)


def _exit_now(message: str | None, *, status: int) -> None:
    if message:
        print(f'chatapp: {message}', file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)
