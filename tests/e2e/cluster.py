"""Several app processes as docs/deployment.md runs them: one shared database, one Redis, one secret.

The database is PostgreSQL (a schema of its own) when ``CHATAPP_TEST_DATABASE_URL`` is set, as in CI, else one SQLite
file in WAL mode. It is migrated once through the service layer before any process starts, so the processes never
race to migrate, and the test can reach the same data through ``services``. Everything is dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from chatapp.settings import Settings
from tests.databases import backends, fresh_database
from tests.e2e.harness import AppProcess, app_env, random_secret, running_apps


@dataclass(frozen=True)
class Cluster:
    """The running processes, and the service layer on their database."""

    services: ServiceRunner
    apps: tuple[AppProcess, ...]


@contextmanager
def cluster(folder: Path, redis_url: str, redis_prefix: str, *, processes: int = 2,
            public_origin: str | None = None) -> Iterator[Cluster]:
    """``processes`` app processes on one fresh database and ``redis_prefix``, all answering, until the block ends.

    ``public_origin`` is ``CHATAPP_PUBLIC_ORIGIN``, for processes that browsers reach through a proxy."""
    secret = random_secret()
    with fresh_database(backends()[-1], folder / 'db') as database_url:
        settings = Settings(data_dir=folder / 'services', database_url=database_url, secret=secret,
                            argon2_memory_kib=1024, argon2_time_cost=1, redis_url=None)
        services = make_runner(settings, MemoryBroker())
        try:
            env = app_env(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix, secret=secret)
            if public_origin:
                env['CHATAPP_PUBLIC_ORIGIN'] = public_origin
            apps = tuple(AppProcess(folder / f'app-{number}', env) for number in range(processes))
            with running_apps(*apps):
                yield Cluster(services, apps)
        finally:
            services.shutdown()
            services.engine.dispose()
