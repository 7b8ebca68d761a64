"""The unit of work every service function runs in: one session, one commit, then the events.

A service function is plain synchronous code ``fn(tx, *, actor_id, ...)``. It validates, reads and writes through
``tx.session`` and records events with ``tx.emit``. ``ServiceRunner`` runs it on a worker thread (the event loop never
waits for the database or for password hashing), commits, and only after the commit publishes the events: a message
that anyone hears about is already stored. Which thread: functions that hash passwords have their own; on SQLite,
functions that write share one (``ServiceRunner._writing``); the rest, and every function on PostgreSQL, share
sixteen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.event import listens_for
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from chatapp.events import Event
from chatapp.security.hashing import hashes
from chatapp.security.limits import Limits, client_address, rule_of
from chatapp.sqlite import READS_ONLY

if TYPE_CHECKING:
    from chatapp.broker.base import Broker
    from chatapp.security import PasswordHasher
    from chatapp.settings import Settings

P = ParamSpec('P')
R = TypeVar('R')
F = TypeVar('F', bound=Callable[..., object])
log = logging.getLogger(__name__)
RETRIES = 8
MAX_REPUBLISHING = 10_000
REPUBLISH_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
HASHING_THREADS = 4
"""Threads for the functions that hash passwords (``chatapp.security.hashing.hashes_passwords``): a few more than
the hashing slots, for their database work; with the 16 others they match the engine's 16 + 4 connections."""


_READS = '__chatapp_reads_only__'


def reads_only(fn: F) -> F:
    """Mark a service function that never writes (returned unchanged). On SQLite its transaction is a snapshot that
    neither waits for the write turn nor holds it (``chatapp.sqlite``); on PostgreSQL nothing changes. A marked
    function that writes is still correct, only slower, and logged."""
    setattr(fn, _READS, True)
    return fn


def reads(fn: object) -> bool:
    """Whether ``fn`` is marked with ``reads_only``."""
    return bool(getattr(fn, _READS, False))


@dataclass(frozen=True)
class Deps:
    """Process-wide collaborators a service may need besides the session."""

    hasher: PasswordHasher
    settings: Settings


@dataclass
class Tx:
    """What a service function works with."""

    session: Session
    deps: Deps
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Queue ``event`` for publication after a successful commit."""
        self.events.append(event)


class _RunnerSession(Session):
    """A session that knows whether it has committed (set by the class-wide listener below): ``run_sync`` must not
    retry a function that committed part of its work. A listener on each session would cost more than the call."""

    committed = False


@listens_for(_RunnerSession, 'after_commit')
def _note_commit(session: _RunnerSession) -> None:
    session.committed = True


class ServiceRunner:
    """Runs service functions off the event loop and publishes their events after commit.

    With ``limits``, a call of a function marked ``@limited(rule)`` is first checked against that rule for its
    ``actor_id`` and for the client address the page set (``chatapp.security.limits``); a refused call raises
    ``Throttled`` before it gets a thread or a connection, so a flood costs no database work."""

    def __init__(self, engine: Engine, broker: Broker, deps: Deps, *, threads: int = 16,
                 limits: Limits | None = None) -> None:
        self.engine = engine
        self._reading = engine.execution_options(**{READS_ONLY: True})
        """The same pool; on SQLite its transactions begin without the write turn (``reads_only``)."""
        self.broker = broker
        self.deps = deps
        self.limits = limits
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix='chatapp-service')
        self._hashing = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix='chatapp-hashing')
        """For functions marked ``hashes_passwords``: logins queue here, never in front of everyone's messages."""
        self._republishing: set[asyncio.Task[None]] = set()
        self._writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix='chatapp-writer') \
            if engine.dialect.name == 'sqlite' else self._executor
        """Where functions that write run. On SQLite one write transaction runs at a time anyway (the write turn,
        ``chatapp.sqlite``), so they get one thread that takes them one after the other. On sixteen threads each
        waited on the turn, and every hand-over of the turn woke a thread that then had to win the GIL back from
        the busy event loop before the turn was of use to anyone (up to the 5 ms switch interval): in scenario c the
        sends waited 37 ms (p50) for a turn held 1.2 ms on average; on one thread the next send starts at once
        (docs/benchmarks.md). Readers keep the sixteen threads, and PostgreSQL, where writers do not exclude each
        other, keeps them for everything."""

    async def __call__(self, fn: Callable[Concatenate[Tx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.limits is not None and (rule := rule_of(fn)) is not None:
            actor_id = kwargs.get('actor_id')
            await self.limits.check(rule, actor_id=actor_id if isinstance(actor_id, int) else None,
                                    address=client_address.get())
        loop = asyncio.get_running_loop()
        executor = self._hashing if hashes(fn) else self._executor if reads(fn) else self._writing
        result, events = await loop.run_in_executor(executor, partial(self.run_sync, fn, *args, **kwargs))
        for event in events:
            try:
                await self.broker.publish(event)
            except Exception:
                log.warning('could not publish %s; retrying in the background', type(event).__name__, exc_info=True)
                self._republish_later(event)
        return result

    def _republish_later(self, event: Event) -> None:
        """The change is committed, so its event must still go out: views drop a late duplicate and fill a gap
        from the database, so a retried event can only help. Bounded, so an outage cannot pile up tasks."""
        if len(self._republishing) >= MAX_REPUBLISHING:
            log.error('dropping %s: %d events already wait for the broker', type(event).__name__, MAX_REPUBLISHING)
            return
        task = asyncio.get_running_loop().create_task(self._republish(event))
        self._republishing.add(task)
        task.add_done_callback(self._republishing.discard)

    async def _republish(self, event: Event) -> None:
        for delay in REPUBLISH_DELAYS:
            await asyncio.sleep(delay)
            try:
                await self.broker.publish(event)
                return
            except Exception:
                log.debug('publishing %s failed again', type(event).__name__)
        log.error('gave up publishing %s; open views catch up at their next event or reconnect', type(event).__name__)

    def run_sync(self, fn: Callable[Concatenate[Tx, P], R], /, *args: P.args, **kwargs: P.kwargs
                 ) -> tuple[R, list[Event]]:
        """Run ``fn`` in its own transaction on the calling thread; returns its result and its events.

        A transaction that lost a race the database reports as retryable (SQLite's 'database is locked' when another
        process held the file past the timeout, PostgreSQL's serialization failure or deadlock) is run again from the
        start: nothing of the failed
        attempt was committed or published. Unless ``fn`` had committed part of its work itself (as
        ``accounts.authenticate`` does): that part would be done twice, so the error is raised instead.
        """
        engine = self._reading if reads(fn) else self.engine
        for attempt in range(1, RETRIES + 1):
            session = _RunnerSession(engine, expire_on_commit=False)
            try:
                with session:
                    tx = Tx(session, self.deps)
                    result = fn(tx, *args, **kwargs)
                    session.commit()
                    return result, tx.events
            except DBAPIError as error:
                if attempt == RETRIES or session.committed or not _retryable(error):
                    raise
                log.debug('retrying %s after %s', getattr(fn, '__name__', fn), error.orig)
                time.sleep(0.005 * attempt)
        raise AssertionError('unreachable')

    def shutdown(self) -> None:
        """Stop the worker threads and pending republications (at application shutdown)."""
        for task in self._republishing:
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._writing.shutdown(wait=False, cancel_futures=True)
        self._hashing.shutdown(wait=False, cancel_futures=True)

    async def close_limits(self) -> None:
        """Release the limiter's connections (at application shutdown, in the event loop that used them)."""
        if self.limits is not None:
            await self.limits.close()


def _retryable(error: DBAPIError) -> bool:
    if 'database is locked' in str(error.orig):
        return True
    return getattr(error.orig, 'sqlstate', None) in {'40001', '40P01'}
