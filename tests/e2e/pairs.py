"""alice and bob, friends, each in a browser of their own with their direct conversation open: what many browser
tests start from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from tests.conftest import make_settings
from tests.e2e.harness import AppProcess, BrowserFactory, app_env, find, login, random_secret, running_apps
from tests.factories import PASSWORD, make_friends, make_user


@dataclass
class Pair:
    app: AppProcess
    services: ServiceRunner
    alice: WebDriver
    bob: WebDriver


@contextmanager
def chatting_pair(root: Path, new_browser: BrowserFactory, settings: dict[str, str] | None = None) -> Iterator[Pair]:
    """The app on a SQLite database under ``root`` (with more ``CHATAPP_*`` ``settings``), the two people made
    through the services, then signed in."""
    database_url = f"sqlite:///{root / 'server' / 'chatapp.db'}"
    (root / 'server').mkdir()
    services = make_runner(make_settings(root / 'services', database_url), MemoryBroker())
    try:
        make_friends(services, make_user(services, 'alice', display_name='Alice'),
                     make_user(services, 'bob', display_name='Bob'))
        app = AppProcess(root / 'server', app_env(database_url=database_url, secret=random_secret()) | (settings or {}))
        with running_apps(app):
            alice, bob = new_browser(), new_browser()
            for driver, name, peer in ((alice, 'alice', 'bob'), (bob, 'bob', 'alice')):
                login(driver, app.base_url, name, PASSWORD)
                driver.get(f'{app.base_url}/chat/{peer}')
                find(driver, 'message-input')
            yield Pair(app, services, alice, bob)
    finally:
        services.shutdown()
        services.engine.dispose()
