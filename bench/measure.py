"""Who received which message when: lost, duplicated and delivery latency, as the receivers' pages show them.

Every message carries a unique id and its send time (``bench <id> @<ns>``). A receiver's arrival time is taken when
the ``update`` that shows the message arrives at its tab; a message sent to several pages (a group) arrives when
the last of them shows it. A message is duplicated when one page shows it in two elements, and lost when one of its
receivers never showed it.

Only message bubbles count (``data-testid="message"`` in the message list's blocks): the inbox rows beside a chat
show each conversation's last message too, and that preview is neither the message arriving nor a second copy.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import quantiles
from typing import Any

from bench.page import Element, html_of
from bench.person import MARK, Person

_MARKED = re.compile(MARK + r' (\S+) @')
BUBBLE = 'data-testid="message"'


@dataclass
class Deliveries:
    sent: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    """message id -> (its receivers' usernames, Enter pressed)"""
    arrived: dict[str, float] = field(default_factory=dict)
    """message id -> when the last of its receivers showed it"""
    shown: dict[str, dict[str, float]] = field(default_factory=dict)
    """message id -> receiver -> when that receiver's page first showed it"""
    elements: dict[str, set[tuple[str, int, str]]] = field(default_factory=dict)
    """message id -> the (receiver, page load, element id) triples that showed it"""
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
        self.shown.clear()
        self.elements.clear()

    def body(self, message_id: str) -> str:
        return f'{MARK} {message_id} @{time.time_ns()}'

    async def send(self, sender: Person, receiver: Person | Sequence[Person], message_id: str,
                   body: str | None = None) -> None:
        """``sender`` presses Enter; the message is delivered once every one of ``receiver`` shows it (a group's
        pages may include the sender's own). ``body``: a text already typed, which must begin with ``mark(id)``."""
        body = self.body(message_id) if body is None else body
        receivers = frozenset(p.username for p in ([receiver] if isinstance(receiver, Person) else receiver))
        self.sent[message_id] = (receivers, 0.0)
        pressed = await sender.send(body)
        self.sent[message_id] = (receivers, pressed)

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
                                  if len(shown) > len({(who, load) for who, load, _ in shown})),
                'reconnects': sum(person.tab.drops for person in self.watched),
                **latency_figures(latencies)}

    def per_page(self) -> dict[str, Any]:
        """Every receiver's own latency (a group's message counts once per page) and the pages that never showed a
        message they should have."""
        latencies = sorted((at - pressed) * 1000 for m, (_, pressed) in self.sent.items()
                           for at in self.shown.get(m, {}).values())
        missed = sum(len(receivers - self.shown.get(m, {}).keys()) for m, (receivers, _) in self.sent.items())
        return {'page_deliveries': len(latencies), 'pages_missed': missed,
                **{f'page_{key}': value for key, value in latency_figures(latencies).items()}}

    def _seen(self, person: Person, element_id: str, element: Element, at: float) -> None:
        """Note every marked message ``element`` shows in a bubble (a block of them, re-sent whole as it grows, or
        one). A page loaded anew (after a lost socket) shows earlier messages again: a duplicate is two elements of
        one load."""
        load = person.tab.loads
        for message_id in bubbled(html_of(element)):
            receivers = self.sent.get(message_id, (frozenset(), 0.0))[0]
            if person.username not in receivers:
                continue  # the sender's own page in a pair, or not ours
            self.elements.setdefault(message_id, set()).add((person.username, load, element_id))
            shown = self.shown.setdefault(message_id, {})
            if person.username not in shown:
                shown[person.username] = at
                if len(shown) == len(receivers):
                    self.arrived[message_id] = at
                    self._all_arrived.set()


def mark(message_id: str) -> str:
    """The start of a message's text that tells its id (``bench 7x2 @``)."""
    return f'{MARK} {message_id} @'


def bubbled(html: str) -> list[str]:
    """The ids of the marked messages that ``html`` shows as message bubbles: each bubble's text is the first mark
    after its ``data-testid="message"``, before the next bubble. An element without bubbles (an inbox row's
    preview of the last message) shows none."""
    ids = []
    for part in html.split(BUBBLE)[1:]:
        if match := _MARKED.search(part):
            ids.append(match.group(1))
    return ids


def latency_figures(latencies_ms: list[float]) -> dict[str, float | None]:
    """p50, p99 and max in ms, rounded to what the clock can tell."""
    if not latencies_ms:
        return {'p50_ms': None, 'p99_ms': None, 'max_ms': None}
    if len(latencies_ms) == 1:
        return {'p50_ms': round(latencies_ms[0], 2), 'p99_ms': round(latencies_ms[0], 2),
                'max_ms': round(latencies_ms[0], 2)}
    cuts = quantiles(latencies_ms, n=100, method='inclusive')
    return {'p50_ms': round(cuts[49], 2), 'p99_ms': round(cuts[98], 2), 'max_ms': round(max(latencies_ms), 2)}
