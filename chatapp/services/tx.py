"""The unit of work every service function runs in: one session, one commit, then the events.

A service function is plain synchronous code ``fn(tx, *, actor_id, ...)``. It validates, reads and writes through
``tx.session`` and records events with ``tx.emit``. ``ServiceRunner`` runs it on a worker thread (the event loop never
waits for the database or for password hashing), commits, and only after the commit publishes the events: a message
that anyone hears about is already stored.
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
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from chatapp.events import Event

if TYPE_CHECKING:
    from chatapp.broker.base import Broker
    from chatapp.security import PasswordHasher
    from chatapp.settings import Settings

P = ParamSpec('P')
R = TypeVar('R')
log = logging.getLogger(__name__)
RETRIES = 8


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


class ServiceRunner:
    """Runs service functions off the event loop and publishes their events after commit."""

    def __init__(self, engine: Engine, broker: Broker, deps: Deps, *, threads: int = 16) -> None:
        self.engine = engine
        self.broker = broker
        self.deps = deps
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix='chatapp-service')

    async def __call__(self, fn: Callable[Concatenate[Tx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        result, events = await loop.run_in_executor(self._executor, partial(self.run_sync, fn, *args, **kwargs))
        for event in events:
            try:
                await self.broker.publish(event)
            except Exception:
                # The change is committed; views resynchronise from the database when the broker is back.
                log.warning('could not publish %s', type(event).__name__, exc_info=True)
        return result

    def run_sync(self, fn: Callable[Concatenate[Tx, P], R], /, *args: P.args, **kwargs: P.kwargs
                 ) -> tuple[R, list[Event]]:
        """Run ``fn`` in its own transaction on the calling thread; returns its result and its events.

        A transaction that lost a race the database reports as retryable (SQLite's 'database is locked' for a stale
        snapshot, PostgreSQL's serialization failure or deadlock) is run again from the start: nothing of the failed
        attempt was committed or published.
        """
        for attempt in range(1, RETRIES + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session:
                    tx = Tx(session, self.deps)
                    result = fn(tx, *args, **kwargs)
                    session.commit()
                    return result, tx.events
            except DBAPIError as error:
                if attempt == RETRIES or not _retryable(error):
                    raise
                log.debug('retrying %s after %s', getattr(fn, '__name__', fn), error.orig)
                time.sleep(0.005 * attempt)
        raise AssertionError('unreachable')

    def shutdown(self) -> None:
        """Stop the worker threads (at application shutdown)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _retryable(error: DBAPIError) -> bool:
    if 'database is locked' in str(error.orig):
        return True
    return getattr(error.orig, 'sqlstate', None) in {'40001', '40P01'}
