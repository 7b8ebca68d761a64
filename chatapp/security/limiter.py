"""Rate limiting as counting: the ``Limiter`` interface, the rates it counts against, and its in-process form.

The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a rate of ``count``
per ``seconds`` lets ``count`` calls through at once, then one every ``seconds / count``. Each key keeps one
"theoretical arrival time" per rate, so its state is a few numbers whatever the rate, and nothing needs sweeping
on a timer. Several rates on one key (10 a second *and* 120 a minute) allow short bursts and cap the long run.
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator

UNITS = {'s': 1, 'sec': 1, 'second': 1, 'seconds': 1, 'm': 60, 'min': 60, 'minute': 60, 'minutes': 60,
         'h': 3600, 'hour': 3600, 'hours': 3600, 'd': 86400, 'day': 86400, 'days': 86400}
OFF = frozenset({'', 'off', 'none'})
SLACK = 1e-6
"""Seconds of rounding forgiven: ten intervals of 0.1 s add up to a hair over 1 s in floating point."""
RATE = re.compile(r'(\d+)\s*/\s*(\d*)\s*([a-z]+)')
RATES_HELP = 'write rates as COUNT/PERIOD separated by commas, e.g. 10/s,120/min or 5/10s,50/day; or off'


@dataclass(frozen=True)
class Rate:
    """``count`` calls per ``seconds``: that many at once, then one every ``interval``."""

    count: int
    seconds: float
    interval: float = field(init=False, repr=False, compare=False)
    """Stored, not computed: a check reads it for every rate of every key."""

    def __post_init__(self) -> None:
        object.__setattr__(self, 'interval', self.seconds / self.count)


Check = tuple[str, Sequence[Rate]]
"""One key and the rates it must stay within."""


def parse_rates(text: str) -> tuple[Rate, ...]:
    """``'10/s,120/min'`` as rates; ``'off'`` (or empty) as none. ``ValueError`` names the rule it breaks."""
    text = text.strip().lower()
    if text in OFF:
        return ()
    rates = []
    for part in text.split(','):
        match = RATE.fullmatch(part.strip())
        if match is None or match[3] not in UNITS:
            raise ValueError(RATES_HELP)
        count, periods = int(match[1]), int(match[2] or 1)
        if count < 1 or periods < 1:
            raise ValueError(f'{RATES_HELP} (counts and periods are at least 1)')
        rates.append(Rate(count, float(periods * UNITS[match[3]])))
    return tuple(rates)


def _valid_rates(text: str) -> str:
    parse_rates(text)
    return text


RateSpec = Annotated[str, AfterValidator(_valid_rates)]
"""A setting written as rates (``'10/s,120/min'``). Kept a ``str`` so that pydantic-settings does not try to read
the environment variable as JSON, and so that ``--help`` shows it as written."""


class Limiter(ABC):
    """Counts calls per key. ``hit`` is all or nothing: it counts the call against every key of ``checks`` only
    when all of them allow it, so a call refused for one key (the client address) costs nothing on another (the
    account), and retrying while refused does not push the wait further out."""

    @abstractmethod
    async def hit(self, checks: Sequence[Check]) -> float:
        """0 when the call is allowed (and now counted); else the seconds until it would be allowed."""

    async def close(self) -> None:  # noqa: B027  (not abstract: only a limiter with connections needs it)
        """Release connections (at shutdown)."""


class MemoryLimiter(Limiter):
    """The limits of one process (no Redis configured). Safe from any thread: a check is a few dictionary reads and
    writes under one lock, a few microseconds, so the event loop calls it directly."""

    SWEEP_ABOVE = 4096
    """Keys kept before expired ones are swept; the threshold then doubles with what remains, so sweeping stays
    amortised O(1) per call while memory stays proportional to the keys active within their longest period."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, list[float]]] = {}
        """key -> (when its state expires, one theoretical arrival time per rate)."""
        self._sweep_at = self.SWEEP_ABOVE

    async def hit(self, checks: Sequence[Check]) -> float:
        return self.hit_now(checks)

    def hit_now(self, checks: Sequence[Check]) -> float:
        """``hit`` without the coroutine, for callers that are not async."""
        with self._lock:
            now = self._clock()
            wait = 0.0
            planned: list[tuple[str, tuple[float, list[float]]]] = []
            for key, rates in checks:
                state = self._state.get(key)
                arrivals = state[1] if state is not None else []
                new = []
                for i, rate in enumerate(rates):
                    last = arrivals[i] if i < len(arrivals) else now
                    arrival = (last if last > now else now) + rate.interval
                    wait = max(wait, arrival - now - rate.seconds)
                    new.append(arrival)
                planned.append((key, (max(new, default=now), new)))
            if wait > SLACK:
                return wait
            self._state.update(planned)
            if len(self._state) > self._sweep_at:
                self._sweep(now)
            return 0.0

    def __len__(self) -> int:
        return len(self._state)

    def _sweep(self, now: float) -> None:
        """Forget keys whose every arrival time has passed: for them, no state and that state answer alike."""
        self._state = {key: state for key, state in self._state.items() if state[0] > now}
        self._sweep_at = max(self.SWEEP_ABOVE, 2 * len(self._state))
