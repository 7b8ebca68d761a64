"""The database engine, tuned per backend, and the schema migration run at start-up."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from chatapp.sqlite import make_sqlite_engine

POOL_SIZE = 16
"""Matches the service executor's thread count, so a thread never waits for a connection."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite as ``chatapp.sqlite`` sets it up, or PostgreSQL with a pool sized to our
    threads that checks a connection before use (a server restart must not fail the next request)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == 'sqlite':
        return make_sqlite_engine(parsed, pool_size=POOL_SIZE)
    return create_engine(parsed, pool_size=POOL_SIZE, max_overflow=4, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (Alembic ``upgrade head``)."""
    from chatapp.migrate import upgrade

    upgrade(engine)
