"""Who received which message when: lost, duplicated and delivery latency, as the receivers' pages show them.

Every message carries a unique id and its send time (``bench <id> @<ns>``). A receiver's arrival time is taken when
the ``update`` that shows the message arrives at its tab. A message is duplicated when one page shows it in two
elements, and lost when its receiver never showed it.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from statistics import quantiles
from typing import Any

from bench.page import Element, html_of
from bench.person import MARK, Person

_MARKED = re.compile(MARK + r' (\S+) @')


@dataclass
class Deliveries:
    sent: dict[str, tuple[str, float]] = field(default_factory=dict)
    """message id -> (receiver, Enter pressed)"""
    arrived: dict[str, float] = field(default_factory=dict)
    elements: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    """message id -> the (page load, element id) pairs that showed it on the receiver's tab"""
    watched: list[Person] = field(default_factory=list)
    _all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def watch(self, person: Person) -> None:
        """Record what ``person``'s pages show."""
        self.watched.append(person)
        person.tab.hooks.append(lambda element_id, element, at: self._seen(person, element_id, element, at))

    def reset(self) -> None:
        """Forget what was sent so far (after a warm-up)."""
        self.sent.clear()
        self.arrived.clear()
        self.elements.clear()

    def body(self, message_id: str) -> str:
        return f'{MARK} {message_id} @{time.time_ns()}'

    async def send(self, sender: Person, receiver: Person, message_id: str) -> None:
        body = self.body(message_id)
        self.sent[message_id] = (receiver.username, 0.0)
        pressed = await sender.send(body)
        self.sent[message_id] = (receiver.username, pressed)

    async def delivered(self, message_id: str, within: float) -> bool:
        """Wait for one message (closed-loop senders)."""
        deadline = time.perf_counter() + within
        while message_id not in self.arrived:
            if time.perf_counter() > deadline:
                return False
            self._all_arrived.clear()
            try:
                await asyncio.wait_for(self._all_arrived.wait(), max(0.0, deadline - time.perf_counter()))
            except TimeoutError:
                return message_id in self.arrived
        return True

    async def drain(self, quiet_for: float, at_most: float = 120.0) -> None:
        """Wait until everything sent has arrived, ``quiet_for`` seconds pass without progress, or ``at_most``
        seconds in all (a backlog drains at the server's pace, not for ever)."""
        deadline = time.perf_counter() + at_most
        while len(self.arrived) < len(self.sent) and time.perf_counter() < deadline:
            self._all_arrived.clear()
            try:
                await asyncio.wait_for(self._all_arrived.wait(), min(quiet_for, deadline - time.perf_counter()))
            except TimeoutError:
                return

    def summary(self) -> dict[str, Any]:
        latencies = sorted((self.arrived[m] - pressed) * 1000 for m, (_, pressed) in self.sent.items()
                           if m in self.arrived)
        return {'sent': len(self.sent), 'delivered': len(latencies),
                'lost': sum(1 for m in self.sent if m not in self.arrived),
                'duplicated': sum(1 for shown in self.elements.values()
                                  if len(shown) > len({load for load, _ in shown})),
                'reconnects': sum(person.tab.drops for person in self.watched),
                **latency_figures(latencies)}

    def _seen(self, person: Person, element_id: str, element: Element, at: float) -> None:
        """Note every marked message ``element`` shows (a block of them, re-sent whole as it grows, or one). A page
        loaded anew (after a lost socket) shows earlier messages again: a duplicate is two elements of one load."""
        load = person.tab.loads
        for match in _MARKED.finditer(html_of(element)):
            message_id = match.group(1)
            receiver = self.sent.get(message_id, ('',))[0]
            if receiver != person.username:
                continue  # the sender's own page, or not ours
            shown = self.elements.setdefault(message_id, set())
            shown.add((load, element_id))
            if message_id not in self.arrived:
                self.arrived[message_id] = at
                self._all_arrived.set()


def latency_figures(latencies_ms: list[float]) -> dict[str, float | None]:
    """p50, p99 and max in ms, rounded to what the clock can tell."""
    if not latencies_ms:
        return {'p50_ms': None, 'p99_ms': None, 'max_ms': None}
    if len(latencies_ms) == 1:
        return {'p50_ms': round(latencies_ms[0], 2), 'p99_ms': round(latencies_ms[0], 2),
                'max_ms': round(latencies_ms[0], 2)}
    cuts = quantiles(latencies_ms, n=100, method='inclusive')
    return {'p50_ms': round(cuts[49], 2), 'p99_ms': round(cuts[98], 2), 'max_ms': round(max(latencies_ms), 2)}
