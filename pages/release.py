"""A closed page frees its memory by reference counting, without waiting for the garbage collector.

When NiceGUI deletes a client, most of what the page built is held only in reference cycles: every element's
classes, style and props keep a bound method of themselves as their change handler (three cycles an element), the
client's connect, disconnect and delete handlers are closures over the page's views, which hold the client, and the
views hold each other and bound methods of themselves (a ``Coalescer`` of ``self._reload``). Only a full garbage
collection could free those, and ``chatapp.collector`` keeps long-lived objects out of full collections (it freezes
them), so a closed page's cycles would stay in memory for good. Breaking them once the page is deleted lets reference
counting free it at once (docs/benchmarks.md, issue 9, has the counts).

Three steps, because a task or a timer of a deleted page may still be running:

- whenever NiceGUI removes elements (a page's own changes, or its deletion): their observables' and value
  handlers, which only NiceGUI reads (a later change to a removed element simply notifies nobody);
- right after NiceGUI has deleted a client: its handler lists;
- after ``GRACE_SECONDS``, and only when no pending task or timer refers to them: the page's own objects (instances
  of classes defined in ``pages``, reached from the page's elements and handlers) drop the attributes that lead
  back into the page (elements and callables); their data, the client and each other stay, so a late callback (a
  timer that lagged, the read marker's answer) still runs and finds the client deleted. A page whose objects are
  still busy is tried again at the next sweep (every ``SWEEP_SECONDS``), for up to two minutes; what is left then
  is for the collector's sweep (``chatapp.collector.Sweeper``).

Measured on 200 chat pages and their 200 login pages, frozen, then closed (``gc.collect`` after an unfreeze):
before, 380,000 objects that only a full collection could free (about 950 a closed page); after, 29,000-65,000
(70-160 a page), all of them NiceGUI's and engine.io's (the per-browser storage, a class made per socket request,
the task that waited on the socket, with its traceback).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import CellType, CoroutineType, FunctionType, MethodType
from typing import Any

from nicegui import Client, app
from nicegui.element import Element

GRACE_SECONDS = 10.0
"""Longer than a page's own timers, retries and toasts take to run out once its socket is gone."""
SWEEP_SECONDS = 5.0
"""Pages closing meanwhile wait for one sweep together: a sweep's look at the pending tasks costs about 6 µs a
task (45 ms with a thousand pages open), however few pages are due."""
SLICE_SECONDS = 0.002
"""How long a sweep looks at tasks or walks closed pages before it lets the loop run (it goes on at once after).
At 5 ms, the sweep's slices were a tenth of the loop's steps over 5 ms in scenario i (docs/benchmarks.md)."""
MAX_TRIES = 24
TIMER_LAG_SECONDS = 30.0
"""A timer due this long ago has run (the event loop never lags that much); a view may keep its handle after."""
PACKAGE = 'pages'
"""Objects of classes defined here belong to one page (no page object is shared between pages or with the app)."""
_PAGES = str(Path(__file__).resolve().parent) + os.sep
"""Where the ``pages`` package lives: a page object is ``self`` in the frames of its methods."""


def install() -> None:
    """Release every element NiceGUI removes and every page it deletes, in this process (idempotent)."""
    if not getattr(Client.remove_elements, 'releases', False):
        Client.remove_elements = _releasing(Client.remove_elements)  # type: ignore[method-assign,assignment]
    if not any(isinstance(getattr(handler, '__self__', None), Releaser) for handler in app._delete_handlers):
        app.on_delete(Releaser().on_delete)


def _releasing(remove_elements: Callable[[Client, Iterable[Element]], None]) \
        -> Callable[[Client, Iterable[Element]], None]:
    """``Client.remove_elements`` that also breaks the removed elements' own cycles: a page removes elements all
    the time (a confirmed message's pending row, the oldest block of a long conversation), not only when it closes."""
    def remove_and_release(client: Client, elements: Iterable[Element]) -> None:
        removed = list(elements)
        remove_elements(client, removed)
        for element in removed:
            release_element(element)

    remove_and_release.releases = True  # type: ignore[attr-defined]
    return remove_and_release


def release_element(element: Element) -> None:
    """Break the cycles of a removed ``element`` that only NiceGUI reads: its classes, style and props each keep a
    bound method of themselves as change handler, and a value element keeps its ``on_change`` handlers (often a
    view's methods). A later change to a removed element now simply notifies nobody."""
    for observable in (element._classes, element._style, element._props):
        observable._change_handlers.clear()
    handlers = getattr(element, '_change_handlers', None)
    if type(handlers) is list:
        handlers.clear()


@dataclass
class _Closed:
    roots: list[Any]
    due: float
    tries: int = 0


@dataclass
class Releaser:
    """One per process: see the module docstring."""

    waiting: deque[_Closed] = field(default_factory=deque)
    released: int = 0
    """Pages whose own objects were cleared (for tests and measurements)."""
    given_up: int = 0
    _sweep: asyncio.Handle | None = None
    _round: asyncio.Task[None] | None = None

    def on_delete(self, client: Client) -> None:
        # Delete handlers run before NiceGUI removes the page's elements and their listeners: collect them now.
        elements = list(client.elements.values())
        roots: list[Any] = [*elements, *client.connect_handlers, *client.disconnect_handlers,
                            *client.delete_handlers]
        roots += [listener.handler for element in elements for listener in element._event_listeners.values()]
        loop = asyncio.get_running_loop()
        loop.call_soon(release_client, client)
        self.waiting.append(_Closed(roots, time.monotonic() + GRACE_SECONDS))
        if self._sweep is None and self._round is None:
            self._sweep = loop.call_later(GRACE_SECONDS, self.sweep)

    def sweep(self) -> None:
        """Start a sweep round (``_sweep_round``) unless one runs."""
        self._sweep = None
        if self._round is None:
            self._round = asyncio.get_running_loop().create_task(self._sweep_round())

    async def _sweep_round(self) -> None:
        """Clear the objects of every page whose grace has run out and that nothing pending uses any more, never
        holding the loop for more than about ``SLICE_SECONDS`` at a time: with a thousand pages open the look at
        the pending tasks alone took 45 ms, and closed pages cost a few ms each to walk."""
        try:
            now = time.monotonic()
            due = [closed for closed in self.waiting if closed.due <= now]
            if due:
                self.waiting = deque(closed for closed in self.waiting if closed.due > now)
                busy = await _busy_ids()
                started = time.monotonic()
                for closed in due:
                    if time.monotonic() - started > SLICE_SECONDS:
                        await asyncio.sleep(0)
                        started = time.monotonic()
                    self._try(closed, busy, now)
        finally:
            self._round = None
            if self.waiting:
                delay = max(SWEEP_SECONDS, min(closed.due for closed in self.waiting) - time.monotonic())
                self._sweep = asyncio.get_running_loop().call_later(delay, self.sweep)

    def _try(self, closed: _Closed, busy: set[int], now: float) -> None:
        objects, timers = _walk(closed.roots)
        if not timers and not any(id(obj) in busy for obj in objects):
            for obj in objects:
                _cut(obj)
            self.released += 1
        elif closed.tries < MAX_TRIES:
            closed.tries += 1
            closed.due = now + SWEEP_SECONDS
            self.waiting.append(closed)
        else:
            self.given_up += 1


def release_client(client: Client) -> None:
    """Break the cycles of a deleted ``client``: its handlers are closures over the page's views, which hold it."""
    client.connect_handlers.clear()
    client.disconnect_handlers.clear()
    client.delete_handlers.clear()
    client._exception_handlers.clear()


def _walk(roots: Iterable[Any]) -> tuple[list[Any], bool]:
    """The instances of ``pages`` classes (elements excepted) that ``roots`` reach through attributes, containers,
    bound methods and closures, and whether any of them holds a timer still to fire (the views keep their
    ``call_later`` handles). The walk stops at anything else: services, the app, NiceGUI's storage."""
    found: list[Any] = []
    timers = False
    now = asyncio.get_running_loop().time()
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        kind = type(obj)
        if kind in (list, tuple, set, frozenset):
            todo.extend(obj)
        elif kind is dict:
            todo.extend(obj.values())
        elif kind is MethodType:
            todo.append(obj.__self__)
        elif kind is FunctionType:
            todo.extend(cell.cell_contents for cell in obj.__closure__ or () if _filled(cell))
        elif isinstance(obj, Element):
            todo.extend(vars(obj).values())
        elif kind.__name__ == 'TimerHandle':  # asyncio's or uvloop's; one due a while ago may still wait its turn
            timers = timers or (not obj.cancelled() and obj.when() > now - TIMER_LAG_SECONDS)
        elif kind.__module__.split('.', 1)[0] == PACKAGE and hasattr(obj, '__dict__'):
            found.append(obj)
            todo.extend(vars(obj).values())
    return found, timers


def _cut(obj: Any) -> None:
    """Drop the attributes of a page object that lead back into the page's cycles (its elements, and callables,
    which are bound methods of other page objects), alone or in containers. Data stays, and so do the client and the
    other page objects: a late call (a timer, a read marker's callback) still finds what it reads, and sees the
    client deleted."""
    attributes = vars(obj)
    for name in [name for name, value in attributes.items() if _edge(value)]:
        del attributes[name]


def _edge(value: Any) -> bool:
    kind = type(value)
    if kind in (list, tuple, set, frozenset):
        return any(_edge(item) for item in value)
    if kind is dict:
        return any(_edge(item) for item in value.values())
    return isinstance(value, Element) or kind in (MethodType, FunctionType, partial)


def _filled(cell: CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


async def _busy_ids() -> set[int]:
    """Ids of the objects that the coroutines of pending tasks refer to directly (as ``self``, a local, or the
    object of a bound method in a local) in the frames of ``pages`` code: a page object is ``self`` while one of its
    coroutines runs, and page code is what passes page objects around. A thousand open pages run about 7,400 tasks
    (each socket's reader, writer, pinger and ASGI task, each page's outbox): looking at them all took 45 ms, so the
    look is taken in slices of ``SLICE_SECONDS``. Tasks that start meanwhile are looked at in a further pass, until
    a pass ends without letting the loop run (so no task can have started unseen); each pass looks only at the
    tasks the one before did not. A task looked at early that only later enters page code with a closed page's
    object would be missed: nothing does that to a page closed ``GRACE_SECONDS`` ago (its socket, events and timers
    are gone; a pending timer keeps it)."""
    me = asyncio.current_task()
    busy: set[int] = set()
    looked_at: set[asyncio.Task[Any]] = set()
    while True:
        fresh = [task for task in asyncio.all_tasks() if task is not me and task not in looked_at]
        # The slice starts after ``all_tasks()``: a pass over the few tasks that started in the last pass's pauses
        # never pauses itself, so the passes end.
        started, paused = time.monotonic(), False
        for index, task in enumerate(fresh):
            if not index % 64 and time.monotonic() - started > SLICE_SECONDS:
                await asyncio.sleep(0)
                started, paused = time.monotonic(), True
            _note_busy(task, busy)
        if not paused:
            return busy
        looked_at.update(fresh)


def _note_busy(task: asyncio.Task[Any], busy: set[int]) -> None:
    coro: Any = task.get_coro()
    while isinstance(coro, CoroutineType) and coro.cr_frame is not None:
        if coro.cr_code.co_filename.startswith(_PAGES):
            for value in coro.cr_frame.f_locals.values():
                busy.add(id(value))
                if type(value) is MethodType:
                    busy.add(id(value.__self__))
        coro = coro.cr_await
