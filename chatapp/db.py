"""The database engine, tuned per backend, and the schema migration run at start-up."""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlmodel import create_engine

from chatapp.sqlite import make_sqlite_engine, probe_sqlite

POOL_SIZE = 16
"""Matches the service executor's thread count, so a thread never waits for a connection."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite as ``chatapp.sqlite`` sets it up, or PostgreSQL with a pool sized to our
    threads that checks a connection before use (a server restart must not fail the next request).

    Both hide the parameters of SQL statements from their exceptions and logs (``hide_parameters``): a parameter is
    a message's text or a password hash, and an exception that reaches a log must not carry it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == 'sqlite':
        return make_sqlite_engine(parsed, pool_size=POOL_SIZE)
    engine = create_engine(parsed, pool_size=POOL_SIZE, max_overflow=4, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, 'handle_error', _primary_message_only)
    return engine


def probe(engine: Engine, *, timeout: float) -> None:
    """Raise unless the database answers a query now (for ``/healthz``; blocking, so run it off the event loop).

    SQLite is probed with a connection of its own: the pool's connections keep working on a file whose folder was
    moved or deleted, and what they write then is lost. PostgreSQL is probed through the pool, as requests use it.
    """
    if engine.dialect.name == 'sqlite':
        probe_sqlite(engine.url, timeout=timeout)
        return
    with engine.connect() as connection:
        connection.exec_driver_sql('SELECT 1')


def _primary_message_only(context: ExceptionContext) -> None:
    """PostgreSQL quotes a row's values in the DETAIL of some errors ('Key (body)=(...) already exists', 'Failing row
    contains (...)'), where ``hide_parameters`` cannot reach: keep only the primary message, in the driver's error and
    in SQLAlchemy's wrapper (which copied it), so that neither carries a message or a password hash into a log. The
    error's class and SQLSTATE, which the retry logic reads, stay as they were."""
    error = context.original_exception
    primary = getattr(getattr(error, 'diag', None), 'message_primary', None)
    if not primary:  # not an error the server reported (a refused connection, say): nothing of ours in it
        return
    error.args = (primary,)
    if context.sqlalchemy_exception is not None:
        context.sqlalchemy_exception.args = (f'({type(error).__module__}.{type(error).__name__}) {primary}',)


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (Alembic ``upgrade head``)."""
    from chatapp.migrate import upgrade

    upgrade(engine)
