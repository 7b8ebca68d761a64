"""SQLite's WAL checkpoints run on the checkpointer's thread, not in the commit of whichever send passes 1,000 pages
(``chatapp.checkpoints``). A real database file in a temporary folder; nothing here measures a time."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from chatapp.checkpoints import Checkpointer
from chatapp.sqlite import make_sqlite_engine

ROW = b'x' * 3000
"""A row that fills most of a 4 KiB page: each commit adds at least one page to the log."""


def _engine(tmp_path: Path) -> Engine:
    engine = make_sqlite_engine(make_url(f'sqlite:///{tmp_path / "chat.db"}'), pool_size=2)
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)'))
    return engine


def _commit_rows(engine: Engine, count: int) -> None:
    for _ in range(count):
        with engine.begin() as connection:
            connection.execute(text('INSERT INTO t (body) VALUES (:body)'), {'body': ROW})


def _log_pages(path: Path) -> int:
    """Pages in the log now (a passive checkpoint reports them; it copies them too, which no test looks at after)."""
    with sqlite3.connect(path) as connection:
        _busy, pages, _copied = connection.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone()
    return int(pages)


def test_commits_do_not_checkpoint_at_a_thousand_pages(tmp_path: Path) -> None:
    """With SQLite's default, the commit at 1,000 pages copies the log back and the next one starts it again, so
    1,500 commits would leave about 500 pages in it."""
    engine = _engine(tmp_path)
    try:
        _commit_rows(engine, 1500)
        assert _log_pages(tmp_path / 'chat.db') >= 1500
    finally:
        engine.dispose()


def test_the_checkpointer_copies_the_log_into_the_database(tmp_path: Path) -> None:
    """The database file itself grows only when a checkpoint copies pages into it: 200 commits are far below any
    automatic checkpoint, so only the checkpointer's thread can have done it."""
    engine = _engine(tmp_path)
    database = tmp_path / 'chat.db'
    checkpointer = Checkpointer(engine, every=0.05)
    try:
        _commit_rows(engine, 200)
        before = database.stat().st_size
        checkpointer.start()
        deadline = time.monotonic() + 30
        while database.stat().st_size <= before + 200 * len(ROW) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert database.stat().st_size > before + 200 * len(ROW)
        assert checkpointer.checkpoints > 0
        _commit_rows(engine, 10)  # the writer goes on beside it
    finally:
        checkpointer.stop()
        engine.dispose()
    assert checkpointer._thread is None


@pytest.mark.parametrize('url', ['sqlite://', 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres'])
def test_no_checkpointer_for_a_database_in_memory_or_postgresql(url: str) -> None:
    engine = create_engine(url)  # never connected
    checkpointer = Checkpointer(engine)
    checkpointer.start()
    assert checkpointer._thread is None
    checkpointer.stop()
    engine.dispose()
