"""Counts of refused socket.io messages, and the few log lines that report them.

A refusal is worth a line to the operator, but a script can cause thousands a second: each kind is logged at most
once per interval, with how many were refused since its last line. The lines hold only our own fixed words and
numbers: never a ``client_id`` (a bearer token for its page) and never text a client chose.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)

REPORT_SECONDS = 60.0

KINDS: dict[str, str] = {
    'handshake-no-cookie': 'a socket handshake without a session cookie',
    'handshake-bad-cookie': 'a socket handshake with a session cookie we did not sign (or one that expired)',
    'handshake-other-browser': "a socket handshake with another browser's session cookie",
    'handshake-no-session': 'a socket handshake for a page rendered without a session',
    'foreign-message': 'a socket message naming a page that did not handshake that socket',
    'unknown-page': 'a socket message naming a page that does not exist',
    'unknown-element': 'a socket event for an element the page does not have',
    'malformed': 'a malformed socket message',
    'malformed-packet': 'a socket packet that cannot be decoded, and closed its connection',
    'over-budget': 'a socket message over its per-socket budget',
    'closed-flood': 'a socket that kept sending over its budget, and closed it',
    'log-over-budget': "a page's log message over its per-socket budget",
}
"""Every kind of refusal and the words its log line uses."""


class Refusals:
    """How many messages of each kind were refused since start; read by tests and metrics."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, interval: float = REPORT_SECONDS) -> None:
        self.counts: Counter[str] = Counter()
        self._clock = clock
        self._interval = interval
        self._last_line: dict[str, float] = {}
        self._unreported: Counter[str] = Counter()

    def refuse(self, kind: str) -> None:
        """Count one refusal of ``kind`` (a key of ``KINDS``) and log it unless its kind was logged lately."""
        self.counts[kind] += 1
        self._unreported[kind] += 1
        now = self._clock()
        last = self._last_line.get(kind)
        if last is not None and now - last < self._interval:
            return
        self._last_line[kind] = now
        log.warning('socket guard refused %s (%d since the last report, %d in all)',
                    KINDS[kind], self._unreported.pop(kind), self.counts[kind])
