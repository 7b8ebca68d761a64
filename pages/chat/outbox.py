"""What a chat view still has to send: a pure model of the sender's queue, unit-tested without NiceGUI.

Each send carries the transaction id the browser gave it (see ``Message.client_txn``), so sending it again (a retry,
or a re-send after the page came back from a restart) can never store it twice. Sends leave in the order they were
made; one that fails is kept, with the reason, until the person retries or discards it, and does not hold up the
ones after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


class State(Enum):
    QUEUED = 'queued'
    SENDING = 'sending'
    FAILED = 'failed'


@dataclass
class Pending:
    """One send that is not stored yet."""

    txn: str
    text: str
    state: State = State.QUEUED
    reason: str = ''
    reply_to: int | None = None
    """The seq of the message this send answers."""


class Outbox:
    """Pending sends in the order they were made."""

    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}

    def __iter__(self) -> Iterator[Pending]:
        return iter(self._pending.values())

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, txn: str, text: str, reply_to: int | None = None) -> Pending | None:
        """Queue a send; ``None`` when this ``txn`` is pending already (the same event heard twice)."""
        if txn in self._pending:
            return None
        pending = self._pending[txn] = Pending(txn, text, reply_to=reply_to)
        return pending

    def next(self) -> Pending | None:
        """The oldest queued send, now marked as being sent; ``None`` when nothing is queued."""
        for pending in self._pending.values():
            if pending.state is State.QUEUED:
                pending.state = State.SENDING
                return pending
        return None

    def done(self, txn: str) -> None:
        """The send is stored (or discarded): forget it."""
        self._pending.pop(txn, None)

    def fail(self, txn: str, reason: str) -> None:
        """The send could not be stored; keep it with ``reason`` until ``retry`` or ``done``."""
        if pending := self._pending.get(txn):
            pending.state = State.FAILED
            pending.reason = reason

    def retry(self, txn: str) -> bool:
        """Queue a failed send again (at its place in the order); False if it is not failed."""
        pending = self._pending.get(txn)
        if pending is None or pending.state is not State.FAILED:
            return False
        pending.state = State.QUEUED
        pending.reason = ''
        return True
