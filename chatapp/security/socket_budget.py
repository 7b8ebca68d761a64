"""How many socket.io messages one socket may send: a token bucket per socket, and what to do when it runs dry.

A person's page sends a few messages a second at most (a click, Enter, an acknowledgement every 3 s, a burst when a
page connects); one script was measured sending 26,000 a second, each one a task and a dispatch in the server. The
bucket lets bursts through and caps the sustained rate; a socket that keeps sending into an empty bucket is closed,
because even dropped messages cost the server their decoding.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    """What to do with one message."""

    PASS = 'pass'  # noqa: S105  (a verdict, not a password)
    DROP = 'drop'
    CLOSE = 'close'
    """Drop it and close the socket: it kept sending over its budget."""


@dataclass
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second; each message takes one."""

    rate: float
    burst: float
    tokens: float
    stamp: float
    overflow: int = 0
    """Messages refused since the bucket was last full: the measure of a sustained excess."""

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= self.burst:
            self.overflow = 0  # the socket paused long enough to refill: an earlier excess is forgiven
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.overflow += 1
        return False


class SocketBudget:
    """One bucket per socket id. A socket is closed once it has sent ``close_after`` messages into an empty bucket
    without pausing long enough to refill it; with ``close_after=0`` it is never closed, only held back."""

    def __init__(self, rate: float, burst: float, close_after: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.close_after = close_after
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def charge(self, sid: str) -> Verdict:
        """Take one message's token from ``sid``'s bucket."""
        now = self._clock()
        bucket = self._buckets.get(sid)
        if bucket is None:
            bucket = self._buckets[sid] = TokenBucket(self.rate, self.burst, self.burst, now)
        if bucket.take(now):
            return Verdict.PASS
        if self.close_after and bucket.overflow >= self.close_after:
            return Verdict.CLOSE
        return Verdict.DROP

    def forget(self, sid: str) -> None:
        """The socket is gone: its bucket with it (socket ids are never reused)."""
        self._buckets.pop(sid, None)
