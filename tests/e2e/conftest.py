"""Fixtures for the end-to-end tests: real app processes, real Chromium, real Redis.

A missing browser or an unreachable Redis fails these tests; they are never skipped, so a green run means they ran.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import redis
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import AppProcess, BrowserFactory, app_env, running_apps, start_chrome

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, so the browser fixture can show what each browser saw."""
    report = yield
    if call.when == 'call':
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture
def new_browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrowserFactory]:
    """Call it for one more independent browser (its own Chromium, its own empty profile); all quit at teardown."""
    drivers: list[WebDriver] = []

    def make() -> WebDriver:
        driver = start_chrome(tmp_path / f'chrome-{len(drivers)}')
        drivers.append(driver)
        return driver

    yield make
    for number, driver in enumerate(drivers):
        try:
            if request.node.stash.get(FAILED, False):
                shot = tmp_path / f'browser-{number}.png'
                driver.save_screenshot(str(shot))
                print(f'----- browser {number} at {driver.current_url} ({shot}) -----')
                print(driver.find_element('tag name', 'body').text)
        except Exception as error:  # a dead browser must not hide the test's own failure
            print(f'browser {number}: {error!r}')
        finally:
            driver.quit()


@pytest.fixture
def chat_app(tmp_path: Path) -> Iterator[AppProcess]:
    """The app as a user runs it: one process, SQLite in its data folder, the in-process broker."""
    app = AppProcess(tmp_path / 'app', app_env())
    with running_apps(app):
        yield app


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key and channel prefix of this test's own; its keys are deleted afterwards."""
    prefix = f'e2e-{uuid.uuid4().hex[:12]}'
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f'{prefix}*'))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
