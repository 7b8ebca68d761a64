"""Shared fixtures: a fresh database per test, the service layer without a UI, and the app for page tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from nicegui import app as nicegui_app

from chatapp import sqlite as sqlite_module
from chatapp.app import ChatApp, make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from chatapp.settings import Settings
from tests.databases import backends, fresh_database

TEST_SECRET = 'test-secret-' + 'x' * 40


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI a missing PostgreSQL must fail the run, not shrink it."""
    if os.environ.get('CI') and not os.environ.get('CHATAPP_TEST_DATABASE_URL'):
        raise pytest.UsageError('CI is set but CHATAPP_TEST_DATABASE_URL is not: the PostgreSQL suite would not run')


@pytest.fixture(scope='session')
def redis_url() -> str:
    """``CHATAPP_TEST_REDIS_URL`` or the local default, checked once: unreachable fails the test, never skips it."""
    url = os.environ.get('CHATAPP_TEST_REDIS_URL', 'redis://127.0.0.1:6379/0')
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f'Redis at {url} is unreachable ({error}): start it (.ci/run does) or set CHATAPP_TEST_REDIS_URL')
    finally:
        client.close()
    return url


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend under test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap (but real) argon2id, a fixed secret, everything in ``data_dir``."""
    values: dict[str, object] = {
        'data_dir': data_dir, 'database_url': database_url, 'secret': TEST_SECRET,
        'argon2_memory_kib': 1024, 'argon2_time_cost': 1, **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def services(settings: Settings) -> Iterator[ServiceRunner]:
    """The service layer on a migrated database, with an in-process broker, no UI.

    Tests call ``services.run_sync(fn, ...)`` for ``(result, events)``, or ``await services(fn, ...)``."""
    runner = make_runner(settings, MemoryBroker())
    yield runner
    runner.shutdown()
    runner.engine.dispose()


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point ``tests/main.py`` at a fresh SQLite database (autouse, so it is ready before the ``user`` fixture)."""
    with fresh_database('sqlite', tmp_path / 'app') as url:
        (tmp_path / 'app').mkdir(exist_ok=True)
        for key, value in {'CHATAPP_DATA_DIR': str(tmp_path / 'app'), 'CHATAPP_DATABASE_URL': url,
                           'CHATAPP_SECRET': TEST_SECRET, 'CHATAPP_ARGON2_MEMORY_KIB': '1024',
                           'CHATAPP_ARGON2_TIME_COST': '1', 'CHATAPP_REDIS_URL': ''}.items():
            monkeypatch.setenv(key, value)
        yield


@pytest.fixture(autouse=True)
def readers_do_not_write() -> Iterator[None]:
    """No service marked ``reads_only`` wrote during the test (``chatapp.sqlite`` counts them): a wrong mark would
    only be slower and logged in production, so the suite is where it shows."""
    before = sqlite_module.misdeclared_writes
    yield
    assert sqlite_module.misdeclared_writes == before, 'a service marked reads_only wrote to the database'


@pytest.fixture
def chat(app_env: None, user: object) -> ChatApp:
    """The running app behind the ``user`` fixture."""
    return nicegui_app.state.chatapp
