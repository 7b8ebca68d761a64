"""What a scenario's load cost: the CPU seconds of the app process and of this load tool while it ran, and the app's
slow garbage collections."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.server import AppProcess


@dataclass
class CpuUse:
    """CPU seconds the app process and this load tool used while a scenario's load ran."""

    server: float = 0.0
    tool: float = 0.0

    def per_message(self, delivered: int) -> dict[str, float]:
        return {'server_cpu_ms_per_msg': round(self.server * 1000 / max(delivered, 1), 2),
                'tool_cpu_ms_per_msg': round(self.tool * 1000 / max(delivered, 1), 2)}


@contextmanager
def cpu_use(*apps: AppProcess) -> Iterator[CpuUse]:
    """The CPU the block cost: of all ``apps`` together, and of this tool."""
    use = CpuUse()
    server, tool = sum(app.cpu_seconds() for app in apps), time.process_time()
    try:
        yield use
    finally:
        use.server, use.tool = sum(app.cpu_seconds() for app in apps) - server, time.process_time() - tool


def named(prefix: str, figures: dict[str, Any]) -> dict[str, Any]:
    """``figures`` with each key prefixed (``p99_ms`` -> ``quiet_p99_ms``)."""
    return {f'{prefix}_{key}': value for key, value in figures.items()}


_PAUSE = re.compile(r'a garbage collection \(generation (\d), .*? paused the server for (\d+) ms')


@dataclass
class Pauses:
    """The app's own log of garbage collections that paused it for long (over 50 ms, ``chatapp/collector.py``)."""

    full: list[int] = field(default_factory=list)
    """Milliseconds of each full (generation 2) collection the app logged as slow."""
    young: list[int] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {'gc_full_pauses': len(self.full), 'gc_max_ms': max(self.full + self.young, default=0)}


@contextmanager
def gc_pauses(app: AppProcess) -> Iterator[Pauses]:
    """The slow collections the app logs while the block runs (the wall time of each: on a busy machine a pause
    also holds whatever time the process waited for a core)."""
    pauses = Pauses()
    start = len(app.output())
    try:
        yield pauses
    finally:
        for generation, ms in _PAUSE.findall(app.output()[start:]):
            (pauses.full if generation == '2' else pauses.young).append(int(ms))
