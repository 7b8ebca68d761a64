"""SQLite as chatapp uses it: WAL, enforced foreign keys, and transactions that are atomic and taken in turn.

Two things in Python's sqlite3 driver get in the way of a multi-threaded server, and this module replaces them:

- The driver begins a transaction only at the first INSERT/UPDATE/DELETE, so reads before it run outside any
  transaction, and the RELEASE of a SAVEPOINT taken before it commits for real. We switch that off and begin every
  transaction ourselves (SQLAlchemy's documented recipe for pysqlite).
- Concurrent writers wait for each other inside SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between
  tries, and a reader that later writes can fail at once with 'database is locked'. Instead each transaction takes a
  process-wide lock, then ``BEGIN IMMEDIATE``: threads of this process queue on the lock and are woken the moment
  it is free, nobody ever has to upgrade a read to a write, and SQLite's own locking only arbitrates between
  processes. Transactions are short (no hashing or network inside them), so taking them in turn costs little. The
  service runner sends its writers to one thread of their own (``chatapp.services.tx``), so the lock is mostly
  uncontended: a woken waiter must still win the GIL back before it can use the turn, and that hand-over cost more
  than the transactions themselves.

A service marked ``reads_only`` (``chatapp.services.tx``) runs on connections carrying the ``READS_ONLY``
execution option and begins a plain (deferred) transaction without the turn: in WAL mode a reader sees one
snapshot and never waits for a writer, nor a writer for it. Before this, every page load, inbox read and unread
total queued for the turn behind and in front of every send; with 1,000 open pages the service threads spent a
third of their time waiting for it (py-spy of scenario d, docs/benchmarks.md). A reader that writes anyway is
still atomic (SQLite upgrades it, or refuses with 'database is locked', which the runner retries), and is logged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import URL
from sqlmodel import create_engine

from chatapp.cjk import SQLITE_FUNCTION, spaced

LOCK_TIMEOUT = 30.0
BACKSTOP_PAGES = 10_000
"""A commit checkpoints the WAL by itself only when the log has this many pages (40 MB): the app's checkpoints run
on a thread of their own (``chatapp.checkpoints``), and this is for a process without one."""
READS_ONLY = 'chatapp_reads_only'
"""The execution option of an engine whose transactions only read (see the module docstring)."""
log = logging.getLogger(__name__)
misdeclared_writes = 0
"""Reader transactions that wrote, since start (the test suite fails any test that adds one it did not expect)."""


def make_sqlite_engine(url: URL, *, pool_size: int) -> Engine:
    """An engine whose transactions are serialised through one lock (see the module docstring)."""
    if url.database and url.database != ':memory:':
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    connection_class = type('SerializedConnection', (SerializedConnection,), {'turn': threading.Lock()})
    # one more overflow than PostgreSQL's: the service runner's writer thread (chatapp.services.tx) holds one too
    engine = create_engine(url, pool_size=pool_size, max_overflow=5, hide_parameters=True,  # see chatapp.db
                           connect_args={'check_same_thread': False, 'timeout': LOCK_TIMEOUT,
                                         'factory': connection_class})
    event.listen(engine, 'connect', _configure)
    event.listen(engine, 'begin', _begin)
    return engine


def sqlite_file(engine: Engine) -> str | None:
    """The path of ``engine``'s SQLite database file, for what works on the file beside the pool (the migration's
    lock, the checkpointer); ``None`` for another database, one in memory, or a ``file:`` URI."""
    database = engine.url.database if engine.dialect.name == 'sqlite' else None
    if not database or database == ':memory:' or database.startswith('file:'):
        return None
    return database


def probe_sqlite(url: URL, *, timeout: float) -> None:
    """Raise unless the database file is where the URL says and readable: a new connection (``mode=rw`` never
    creates a file) reads the schema. A read takes no lock in WAL mode, so writers never wait for a probe."""
    if not url.database or url.database == ':memory:':
        return  # nothing on disk to lose; the pool's own connections are the database
    uri = Path(url.database).resolve().as_uri() + '?mode=rw'
    connection = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    try:
        connection.execute('SELECT count(*) FROM sqlite_master').fetchone()
    finally:
        connection.close()


class SerializedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its engine's ``turn`` lock from ``BEGIN IMMEDIATE`` to commit or rollback."""

    turn: threading.Lock
    _holding = False
    _reading_from: int | None = None
    """``total_changes`` when a reader's transaction began (None in a writer's)."""

    def begin_immediate(self) -> None:
        if not self.turn.acquire(timeout=LOCK_TIMEOUT):
            raise sqlite3.OperationalError('database is locked (no turn within the timeout)')
        self._holding = True
        try:
            self.execute('BEGIN IMMEDIATE')
        except BaseException:
            self._release()
            raise

    def begin_reading(self) -> None:
        """A transaction that only reads: a snapshot, without the turn."""
        self._reading_from = self.total_changes
        self.execute('BEGIN')

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()
            if self._reading_from is not None:
                if self.total_changes != self._reading_from:
                    global misdeclared_writes
                    misdeclared_writes += 1
                    log.error('a transaction begun as reads_only wrote to the database (mark the service a writer)')
                self._reading_from = None

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()
            self._reading_from = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self.turn.release()


def _configure(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver no longer begins transactions; ``_begin`` does
    pragmas = ('journal_mode=WAL', 'synchronous=NORMAL', 'foreign_keys=ON', f'busy_timeout={LOCK_TIMEOUT * 1000:.0f}',
               f'wal_autocheckpoint={BACKSTOP_PAGES}')
    for pragma in pragmas:
        dbapi_connection.execute(f'PRAGMA {pragma}')
    # message search's triggers call it (revision 0009): a connection without it cannot write a message
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, spaced, deterministic=True)


def _begin(connection: Any) -> None:
    driver = connection.connection.driver_connection
    if connection.get_execution_options().get(READS_ONLY):
        driver.begin_reading()
        return
    try:
        driver.begin_immediate()
    except sqlite3.OperationalError as error:
        # Raised from an event hook, so SQLAlchemy does not wrap it as it wraps errors of statements; wrapped here,
        # the service runner sees the usual DBAPIError and retries 'database is locked' like any lost race.
        raise exc.OperationalError('BEGIN IMMEDIATE', None, error) from error
