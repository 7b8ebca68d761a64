"""The process's read marker: what every open page has seen, written a few conversations per transaction.

A chat view reports the newest message the person has seen (``mark``); the marker keeps the furthest one per reader
and conversation and writes them all with ``reads.mark_reads``: at most one write every ``EVERY`` seconds for the
whole process, the first one ``GATHER`` after a quiet spell, so a burst (one group message read on 100 pages) is one
write. Marking per page instead cost a group of 100 about 100 transactions a second, each with its own session,
worker thread hop and commit.

A write is cut into transactions of whole conversations, about ``CHUNK_MARKS`` marks each, one after the other. On
SQLite every transaction holds the one write turn, and a send waits for the transaction in progress: one
transaction for the marks of 50 busy pairs took 34 ms (p50) and put up to 75 ms on the sends behind it (scenario b's
p99, docs/benchmarks.md); a chunk takes a few ms.

The database stays the source of truth: a view learns its position from the result (or from ``ReadMoved``), and a
mark, once taken, is written even if its page closes meanwhile. A write that fails keeps its marks and is tried
again later (backing off up to ``MAX_BACKOFF``); ``close`` writes what is left when the app stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from chatapp.services import reads
from chatapp.services.tx import ServiceRunner

log = logging.getLogger(__name__)

EVERY = 1.0
"""Seconds from the start of one write to the start of the next."""
GATHER = 0.05
"""Seconds from the first mark after a quiet spell to its write: the rest of the same burst joins it."""
CHUNK_MARKS = 8
"""Marks per transaction, give or take a conversation (its readers are written together: one statement each)."""
MAX_BACKOFF = 30.0
"""Longest wait before trying a failed write again."""
MAX_PENDING = 100_000
"""Readers and conversations waiting at once; beyond that (the database away for long) new marks are dropped,
and their pages mark them again when they next see something."""

Done = Callable[[int | None], None]
"""Called with the position once written, or None when the reader may no longer use the conversation."""


@dataclass
class _Pending:
    seq: int
    done: list[Done] = field(default_factory=list)


class ReadMarker:
    """One per process (``ChatApp.marker``); see the module docstring."""

    def __init__(self, run: ServiceRunner) -> None:
        self._run = run
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[None] | None = None
        self._last_write = float('-inf')
        self._failures = 0

    def mark(self, actor_id: int, conversation_id: int, seq: int, done: Done | None = None) -> None:
        """``actor_id`` has seen ``conversation_id`` up to ``seq`` (the caller checked that the page is still
        signed in as ``actor_id``); ``done`` hears the outcome."""
        key = (actor_id, conversation_id)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= MAX_PENDING:
                log.warning('dropping a read mark: %d wait for the database already', MAX_PENDING)
                return
            pending = self._pending[key] = _Pending(seq)
        else:
            pending.seq = max(pending.seq, seq)
        if done is not None and done not in pending.done:
            pending.done.append(done)
        self._schedule()

    async def flush(self) -> None:
        """Write everything marked so far now (after a write in progress)."""
        if self._writing is not None:
            await asyncio.shield(self._writing)
        if self._pending:
            self._cancel_timer()
            self._writing = asyncio.get_running_loop().create_task(self._write())
            await asyncio.shield(self._writing)

    async def close(self) -> None:
        """At shutdown: write what is left, once."""
        self._cancel_timer()
        await self.flush()
        self._cancel_timer()
        if self._pending:
            log.warning('%d read marks could not be written before the stop', len(self._pending))

    @property
    def pending(self) -> int:
        """Readers and conversations waiting to be written (for tests and metrics)."""
        return len(self._pending)

    def _schedule(self) -> None:
        if self._timer is not None or self._writing is not None or not self._pending:
            return
        loop = asyncio.get_running_loop()
        wait = EVERY * 2 ** self._failures if self._failures else EVERY
        delay = max(GATHER, self._last_write + min(wait, MAX_BACKOFF) - loop.time())
        self._timer = loop.call_later(delay, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._writing is None and self._pending:
            self._writing = asyncio.get_running_loop().create_task(self._write())

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _write(self) -> None:
        """Write the batch chunk by chunk. A chunk that fails stops the write (the database is likely away): it and
        the chunks after it are kept for the next try, and the write counts once towards the backoff."""
        batch, self._pending = self._pending, {}
        self._last_write = asyncio.get_running_loop().time()
        try:
            chunks = _chunks(batch)
            for index, chunk in enumerate(chunks):
                if not await self._write_chunk(chunk):
                    self._failures += 1
                    for unwritten in chunks[index:]:
                        self._keep(unwritten)
                    return
            self._failures = 0
        finally:
            self._writing = None
            self._schedule()

    async def _write_chunk(self, chunk: dict[tuple[int, int], _Pending]) -> bool:
        """One transaction; whether it was written (its listeners have heard then)."""
        try:
            marks = [reads.Mark(actor_id, conversation_id, pending.seq)
                     for (actor_id, conversation_id), pending in chunk.items()]
            results = await self._run(reads.mark_reads, marks=marks)
        except Exception:
            log.warning('could not write %d read marks; trying again later', len(chunk), exc_info=True)
            return False
        for key, pending in chunk.items():
            for done in pending.done:
                try:
                    done(results.get(key))
                except Exception:
                    log.exception('a read mark listener failed')
        return True

    def _keep(self, batch: dict[tuple[int, int], _Pending]) -> None:
        """Put a failed batch back, merged with what was marked meanwhile."""
        for key, old in batch.items():
            new = self._pending.get(key)
            if new is None:
                self._pending[key] = old
            else:
                new.seq = max(new.seq, old.seq)
                new.done = [*old.done, *(done for done in new.done if done not in old.done)]


def _chunks(batch: dict[tuple[int, int], _Pending]) -> list[dict[tuple[int, int], _Pending]]:
    """``batch`` cut into pieces of whole conversations, each closed once it holds ``CHUNK_MARKS`` marks or more."""
    by_conversation: dict[int, dict[tuple[int, int], _Pending]] = {}
    for key, pending in batch.items():
        by_conversation.setdefault(key[1], {})[key] = pending
    chunks: list[dict[tuple[int, int], _Pending]] = [{}]
    for marks in by_conversation.values():
        if len(chunks[-1]) >= CHUNK_MARKS:
            chunks.append({})
        chunks[-1].update(marks)
    return chunks if chunks[0] else []
