"""Fresh, isolated databases for tests: a SQLite file, or a PostgreSQL schema of its own.

PostgreSQL runs only when ``CHATAPP_TEST_DATABASE_URL`` is set (CI sets it); each test then gets a new schema in the
database ``chatapp_test`` (created when missing), selected through the connection's ``search_path``, and dropped
afterwards, so runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE = 'chatapp_test'


def backends() -> list[str]:
    """The backends the database-facing tests run on."""
    return ['sqlite', 'postgresql'] if os.environ.get('CHATAPP_TEST_DATABASE_URL') else ['sqlite']


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database of ``backend``."""
    if backend == 'sqlite':
        yield f'sqlite:///{folder / "test.db"}'
        return
    server = make_url(os.environ['CHATAPP_TEST_DATABASE_URL']).set(drivername='postgresql+psycopg')
    _ensure_database(server)
    schema = f't_{uuid.uuid4().hex[:16]}'
    url = server.set(database=TEST_DATABASE, query={'options': f'-csearch_path={schema}'})
    admin = create_engine(server.set(database=TEST_DATABASE), isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA {schema}'))
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS {schema} CASCADE'))
        admin.dispose()


def _ensure_database(server: object) -> None:
    engine = create_engine(server.set(database='postgres'), isolation_level='AUTOCOMMIT')  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            exists = connection.execute(text('SELECT 1 FROM pg_database WHERE datname = :name'),
                                        {'name': TEST_DATABASE}).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE {TEST_DATABASE}'))
    finally:
        engine.dispose()
