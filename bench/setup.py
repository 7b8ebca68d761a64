"""One scenario's world: its own database (SQLite file or a fresh PostgreSQL database), seeded through the
services, and its own app processes, stopped when the scenario ends."""

from __future__ import annotations

import gc
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench import seed
from bench.server import AppProcess, lifted_limits, random_secret
from chatapp.services.tx import ServiceRunner
from chatapp.settings import Settings

T = TypeVar('T')


@dataclass(frozen=True, kw_only=True)
class Services:
    """Where the real services run: PostgreSQL and Redis only for the scenario that spans two processes."""

    workdir: Path = field(kw_only=False)
    postgres_url: str | None = None
    redis_url: str | None = None
    postgres_database: str = seed.BENCH_DATABASE
    """The database scenario f makes anew on that server (the test suite's smoke run uses a name of its own)."""
    profile_dir: Path | None = None
    """With a folder, every app process is profiled with py-spy into it."""
    search_backends: tuple[str, ...] = ('sqlite', 'postgres')
    """The backends scenario l measures (seeding a million messages takes minutes on each)."""


@dataclass(frozen=True)
class World:
    settings: Settings

    def seed(self, make: Callable[[ServiceRunner], T]) -> T:
        """Run ``make`` with the service layer on this world's database (before its apps start)."""
        runner = seed.services(self.settings)
        try:
            return make(runner)
        finally:
            runner.shutdown()
            runner.engine.dispose()


def world(services: Services, name: str, *, postgres: bool = False) -> World:
    """A fresh database for scenario ``name`` (SQLite in its folder unless ``postgres``)."""
    folder = services.workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    database_url = None
    if postgres:
        if not services.postgres_url:
            raise RuntimeError(f'scenario {name} needs --postgres-url')
        database_url = seed.fresh_postgres(services.postgres_url, services.postgres_database)
    settings = Settings(data_dir=folder, database_url=database_url or f'sqlite:///{folder / "chatapp.db"}',
                        secret=random_secret(), redis_url=None)
    return World(settings)


@contextmanager
def measured(services: Services, apps: list[AppProcess], name: str) -> Iterator[None]:
    """The part of a scenario that its figures describe: profiled when ``services.profile_dir`` is set.

    The tool's own garbage collector is off meanwhile: with a crowd of a thousand simulated tabs, a full collection
    in the tool paused its loop for 150-670 ms, and every message that arrived then was timed late as if the app had
    been slow. What was alive before the window is frozen out of later collections too."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        with _profiled(services, apps, name):
            yield
    finally:
        gc.enable()
        gc.unfreeze()


@contextmanager
def _profiled(services: Services, apps: list[AppProcess], name: str) -> Iterator[None]:
    if services.profile_dir is None:
        yield
        return
    for i, app in enumerate(apps):
        app.start_profile(services.profile_dir / f'{name}-app{i}.txt')
    try:
        yield
    finally:
        for app in apps:
            app.stop_profile()


@contextmanager
def running(services: Services, w: World, count: int = 1, *, default_limits: bool = False,
            settings: dict[str, str] | None = None) -> Iterator[list[AppProcess]]:
    """``count`` app processes on ``w``'s database; with several, they share one Redis under a fresh prefix. The
    app's rate limits are lifted (``bench.server.LIFTED_LIMITS``) unless ``default_limits``; ``settings`` are more
    ``CHATAPP_*`` variables."""
    if count > 1 and not services.redis_url:
        raise RuntimeError('several processes need --redis-url')
    prefix = f'chatapp-bench-{uuid.uuid4().hex[:8]}'
    env = {} if default_limits else lifted_limits()
    env |= {'CHATAPP_SECRET': w.settings.resolved_secret(), 'CHATAPP_DATABASE_URL': w.settings.resolved_database_url}
    if count > 1:
        env |= {'CHATAPP_REDIS_URL': str(services.redis_url), 'CHATAPP_REDIS_PREFIX': prefix}
    env |= settings or {}
    apps = [AppProcess(w.settings.data_dir / f'app{i}', env) for i in range(count)]
    try:
        for app in apps:
            app.launch()
        for app in apps:
            app.wait_ready()
        yield apps
    except BaseException:
        for app in apps:
            print(f'----- app on port {app.port}, last lines -----', *app.output().splitlines()[-40:], sep='\n',
                  file=sys.stderr)
        raise
    finally:
        for app in apps:
            app.stop()
