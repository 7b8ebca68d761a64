"""Python's garbage collector as the server experiences it: what is alive at start-up is frozen out of the way, and
a collection that still pauses the event loop for long says so in the log.

Every full collection walks every tracked object, in whichever thread allocated last, usually the event loop's:
while it runs, no page gets an update. docs/benchmarks.md has the measurements behind both.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)
SLOW_SECONDS = 0.1
_started: list[float] = []


def freeze_startup_objects() -> None:
    """Move everything alive once the server has started (modules, classes, the app) out of the collector's reach:
    none of it is ever garbage, and every full collection walked all of it. Measured with the load tool, 50 pairs
    at 100 msg/s: p99 72 ms before, 13 ms after."""
    gc.collect()
    gc.freeze()


def warn_about_slow_collections() -> None:
    """Log a warning for every collection that takes longer than ``SLOW_SECONDS`` (idempotent)."""
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == 'start':
        _started[:] = [time.perf_counter()]
    elif _started:
        seconds = time.perf_counter() - _started.pop()
        if seconds > SLOW_SECONDS:
            log.warning('a garbage collection (generation %d, %d objects freed) paused the server for %.0f ms',
                        info['generation'], info['collected'], seconds * 1000)
