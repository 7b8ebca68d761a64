"""Two app processes behind one Redis and one database, as in a scaled deployment: a browser on each, and every
update crosses from one process to the other live."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from chatapp.settings import Settings
from tests.databases import backends, fresh_database
from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    accept,
    app_env,
    find,
    login,
    open_chat,
    open_dashboard,
    random_secret,
    running_apps,
    search_and_add,
    send,
    wait_for_message,
)
from tests.factories import PASSWORD, make_user


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """PostgreSQL (a schema of its own) when CHATAPP_TEST_DATABASE_URL is set, else one SQLite file in WAL mode."""
    with fresh_database(backends()[-1], tmp_path / 'db') as url:
        yield url


@pytest.fixture
def secret() -> str:
    return random_secret()


@pytest.fixture
def services(tmp_path: Path, shared_database: str, secret: str) -> Iterator[ServiceRunner]:
    """The service layer on the shared database, migrated before either process starts (so they never race to)."""
    settings = Settings(data_dir=tmp_path / 'services', database_url=shared_database, secret=secret,
                        argon2_memory_kib=1024, argon2_time_cost=1, redis_url=None)
    runner = make_runner(settings, MemoryBroker())
    yield runner
    runner.shutdown()
    runner.engine.dispose()


@pytest.fixture
def two_apps(tmp_path: Path, shared_database: str, redis_url: str, redis_prefix: str, secret: str,
             services: ServiceRunner) -> Iterator[tuple[AppProcess, AppProcess]]:
    env = app_env(database_url=shared_database, redis_url=redis_url, redis_prefix=redis_prefix, secret=secret)
    apps = AppProcess(tmp_path / 'a', env), AppProcess(tmp_path / 'b', env)
    with running_apps(*apps):
        yield apps


def test_friend_request_and_messages_cross_processes(services: ServiceRunner, two_apps: tuple[AppProcess, AppProcess],
                                                      new_browser: BrowserFactory) -> None:
    a, b = two_apps
    make_user(services, 'alice', display_name='Alice')
    make_user(services, 'bob', display_name='Bob')
    alice, bob = new_browser(), new_browser()
    login(alice, a.base_url, 'alice', PASSWORD)
    login(bob, b.base_url, 'bob', PASSWORD)
    open_dashboard(alice, a.base_url)
    open_dashboard(bob, b.base_url)

    search_and_add(bob, 'alice')  # on B
    find(alice, 'accept-bob')  # shows up on A
    accept(alice, 'bob')
    find(bob, 'chat-alice')  # and the acceptance on B

    open_chat(alice, 'bob')
    open_chat(bob, 'alice')
    hello = f'hello from A {uuid.uuid4().hex[:8]}'
    send(alice, hello)
    wait_for_message(bob, hello)
    reply = f'hello from B {uuid.uuid4().hex[:8]}'
    send(bob, reply)
    wait_for_message(alice, reply)
