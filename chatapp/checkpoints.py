"""SQLite's WAL checkpoints on a thread of their own, not inside a send's commit.

In WAL mode a commit appends pages to the log, and SQLite copies the log back into the database file (a checkpoint,
with an fsync) in the commit that makes the log pass ``wal_autocheckpoint`` pages: 1,000 by default. That commit
took 3-5 ms instead of about 0.1 ms. A message writes about ten pages (the message and its indexes, the search index,
the conversation's counter, the sender's read position), so one send in a hundred or so paid for it; in scenario a
(200 messages) that was the two slowest sends, the p99 (docs/benchmarks.md).

So the app's connections checkpoint by themselves only at ``chatapp.sqlite.BACKSTOP_PAGES``, and ``Checkpointer``
runs a passive checkpoint every ``EVERY`` seconds on a connection and thread of its own. A passive checkpoint takes
no lock that a writer or a reader waits for, and Python's driver lets go of the GIL while SQLite works: the writer
thread goes on committing meanwhile. A process without a checkpointer (a migration, the load tool seeding a
database) still checkpoints at the backstop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import Engine

from chatapp.sqlite import LOCK_TIMEOUT, sqlite_file

EVERY = 1.0
"""Seconds between checkpoints: at 500 messages a second the log grows by about 5,000 pages meanwhile, half the
backstop, and a checkpoint copies what a second wrote in a few ms."""
log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints ``engine``'s SQLite database every ``every`` seconds between ``start`` and ``stop`` (nothing for
    other databases or one in memory)."""

    def __init__(self, engine: Engine, *, every: float = EVERY) -> None:
        self.path = sqlite_file(engine)
        self.every = every
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (after the schema is migrated: the database file exists)."""
        if self.path is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name='chatapp-checkpoints', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; a checkpoint under way finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=LOCK_TIMEOUT)
            self._thread = None

    def _run(self) -> None:
        assert self.path is not None
        connection = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.every):
                try:
                    connection.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as error:  # the next one tries again; commits checkpoint at the backstop
                    log.warning('a WAL checkpoint failed: %s', error)
        finally:
            connection.close()
