"""Python's garbage collector as the server experiences it: full collections stay short however many pages are open,
garbage that only a full collection can find is still freed, and a collection that pauses the event loop for long
says so in the log.

Every full collection walks every tracked object that is not frozen, in whichever thread allocated last, usually the
event loop's: while it runs, no page gets an update. With 1,000 open pages that was 3 million objects and pauses of
0.2-1.8 s (docs/benchmarks.md, issue 9). So:

- what is alive at start-up is frozen (``freeze_startup_objects``);
- every collection of the two older generations freezes what survived it (``gc.freeze()`` is O(1)): the oldest
  generation then never holds more than one young collection's survivors, so no collection walks more than a few
  thousand objects, and pages, once built, live in the permanent generation (freezing only after full collections
  still let them walk 20,000-45,000 objects, 25-50 ms);
- a frozen object is still freed by reference counting, and a closed page is (``pages.release`` breaks its cycles),
  but cyclic garbage of frozen objects stays until a full collection of everything: ``Sweeper`` runs one (``unfreeze,
  collect, freeze``) when enough pages have closed since the last for their leftovers to be a quarter of the heap.
  That pause is as long as the old full collections, and rare: see ``SWEEP_AFTER_CLOSED_PER_OPEN``;
- the young generations are collected on a clock (``YoungCollections``), not only when CPython's count says so.
  That count is allocations minus deallocations of tracked objects, and a frozen object that dies lowers it too. A
  server in a steady state replaces old objects with new ones (a page's next future, timer and task for the one that
  just ended), so the count hovered near its threshold while the youngest generation grew to 20,000-60,000 objects
  (scenario d, 1,000 pages): each such collection walked them all in one pause of 10-30 ms, 50-60 ms on a loaded
  machine. Collected every ``YOUNG_EVERY`` seconds, a collection walks what that time made.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
SLOW_SECONDS = 0.05
"""A collection pausing the server longer than this is logged (issue 9's bound for any pause)."""
SWEEP_AFTER_CLOSED_PER_OPEN = 6
"""A closed page leaves 70-160 objects in cycles that ``pages.release`` cannot break (NiceGUI's per-browser storage,
engine.io's per-socket class and the task that waited on the socket) against about 2,900 live objects of an open
chat page. After 6 closed pages per open one their leftovers are about a quarter of the live heap, the growth at
which CPython's own full collections run. The sweep walks the whole heap: about 1 s of CPU with 1,000 pages open."""
SWEEP_AFTER_CLOSED_MIN = 1000
YOUNG_EVERY = 0.1
"""Seconds between collections of the two young generations (see the module). d made about 40,000 young objects
a second, most of them living longer than 0.1 s (a waiting future, a timer): collecting the youngest generation
alone on this clock only moved them to the middle one, whose collection then walked 25,000-55,000 (10-30 ms), so
both are collected, and the survivors frozen. d at 200 msg/s: no collection over 50 ms (62-85 ms before), p99
median 52 ms over eight runs (81 ms over seven before); the cyclic garbage left to the sweep grew by 7 % (81,000
objects after d against 76,000)."""
_started: list[float] = []


def freeze_startup_objects() -> None:
    """Move everything alive once the server has started (modules, classes, the app) out of the collector's reach:
    none of it is ever garbage, and every full collection walked all of it. Measured with the load tool, 50 pairs
    at 100 msg/s: p99 72 ms before, 13 ms after."""
    gc.collect()
    gc.freeze()


def watch_collections() -> None:
    """Freeze the survivors of every collection but the youngest, log the slow collections (idempotent)."""
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == 'start':
        _started[:] = [time.perf_counter(), time.thread_time()]
    elif _started:
        cpu = time.thread_time() - _started.pop()
        seconds = time.perf_counter() - _started.pop()
        if info['generation'] >= 1:
            # The collection is over (this is its 'stop' callback) and its survivors have moved to the oldest
            # generation: freezing just moves that list into the permanent one.
            gc.freeze()
        if seconds > SLOW_SECONDS:
            # Wall time is what the pages waited; CPU time is the collector's own work (on a busy machine the
            # process also waits for a core).
            log.warning('a garbage collection (generation %d, %d objects freed) paused the server for %.0f ms '
                        '(%.0f ms of CPU)', info['generation'], info['collected'], seconds * 1000, cpu * 1000)


@dataclass
class Sweeper:
    """Collects what closed pages left in the frozen generation, once enough have closed (see the module)."""

    closed: int = 0
    """Pages closed since the last sweep."""
    sweeps: int = 0

    def page_closed(self, open_pages: int) -> None:
        self.closed += 1
        if self.closed >= max(SWEEP_AFTER_CLOSED_MIN, SWEEP_AFTER_CLOSED_PER_OPEN * open_pages):
            self.sweep()

    def sweep(self) -> None:
        """One full collection of everything, frozen or not; then freeze what survived again."""
        started, closed = time.perf_counter(), self.closed
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        self.closed = 0
        self.sweeps += 1
        log.warning('swept the frozen generation after %d closed pages: %d objects freed in %.0f ms', closed,
                    collected, (time.perf_counter() - started) * 1000)


class YoungCollections:
    """Collects the two young generations every ``YOUNG_EVERY`` seconds on the event loop (see the module); CPython's
    own collections still run whenever its count asks."""

    def __init__(self) -> None:
        self.ticks = 0
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """On the running loop (the app's startup); again after ``stop``."""
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(YOUNG_EVERY, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self.ticks += 1
        gc.collect(1)  # with ``watch_collections``, its survivors are frozen
        self._timer = asyncio.get_running_loop().call_later(YOUNG_EVERY, self._tick)
