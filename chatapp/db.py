"""The database engine, tuned per backend, and the schema migration run at start-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

POOL_SIZE = 16
"""Matches the service executor's thread count, so a thread never waits for a connection."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL (readers never wait for the writer), a busy timeout instead of
    immediate 'database is locked' errors, and enforced foreign keys; PostgreSQL gets a pool sized to our threads."""
    parsed = make_url(url)
    if parsed.get_backend_name() == 'sqlite':
        if parsed.database and parsed.database != ':memory:':
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30},
                               pool_size=POOL_SIZE, max_overflow=4)
        event.listen(engine, 'connect', _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=4, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (Alembic ``upgrade head``)."""
    from chatapp.migrate import upgrade

    upgrade(engine)
