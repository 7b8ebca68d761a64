"""nginx in front of two app processes, configured as docs/deployment.md recommends, with real Chromium.

Two people whose pages are served by different processes sign up, befriend and chat through the proxy. Then one
process is killed with SIGKILL: its person's page comes back through the other process, signed in as the same
account, and every message is shown exactly once on both pages, including one sent while the page was away.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from bench.server import free_port
from tests.e2e.cluster import cluster
from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    accept,
    find,
    open_chat,
    open_dashboard,
    search_and_add,
    send,
    signup,
    wait,
    wait_for_message,
    wait_for_messages,
    wait_for_text,
)
from tests.e2e.nginx import UPSTREAM_METRIC, Nginx, nginx_path, running_nginx

PASSWORD = 'correct horse battery staple'
PLACEMENT_TRIES = 30
"""New route cookies drawn to put a browser on a given process: each lands on either of two at random, so 30 tries
all missing it happens once in a billion runs."""
MARK = 'window.chatappE2eMark'
"""A variable the test sets on a page: it is gone once the browser has loaded that page anew."""


@dataclass(frozen=True)
class Deployment:
    apps: tuple[AppProcess, ...]
    proxy: Nginx


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str, redis_prefix: str) -> Iterator[Deployment]:
    """Two processes on one database and Redis, nginx in front; browsers see only nginx's origin."""
    nginx_path()  # a missing nginx fails the test before the processes start
    port = free_port()
    with cluster(tmp_path, redis_url, redis_prefix, public_origin=f'http://127.0.0.1:{port}') as apps, \
            running_nginx(tmp_path / 'nginx', [app.port for app in apps.apps], port) as proxy:
        yield Deployment(apps.apps, proxy)


def test_chat_through_nginx_survives_a_killed_process(deployment: Deployment, new_browser: BrowserFactory) -> None:
    (a, b), base = deployment.apps, deployment.proxy.base_url
    on_a, on_b = Page('navigate', a.port, 'websocket'), Page('navigate', b.port, 'websocket')
    alice, bob = new_browser(), new_browser()
    open_on(alice, f'{base}/signup', a)
    open_on(bob, f'{base}/signup', b)
    signup(alice, base, 'alice', PASSWORD)
    signup(bob, base, 'bob', PASSWORD)
    # Every page below comes from its person's process and keeps its socket there at the first try (a socket that
    # reached the other process would be refused, and the browser would load the page again).
    assert (page(alice), page(bob)) == (on_a, on_b)
    open_dashboard(alice, base)
    open_dashboard(bob, base)
    assert (page(alice), page(bob)) == (on_a, on_b)
    search_and_add(alice, 'bob')
    accept(bob, 'alice')
    find(alice, 'chat-bob')
    open_chat(alice, 'bob')
    open_chat(bob, 'alice')
    assert (page(alice), page(bob)) == (on_a, on_b)

    token = uuid.uuid4().hex[:8]
    texts = [f'alice on A {token}', f'bob on B {token}']
    send(alice, texts[0])
    wait_for_message(bob, texts[0])
    send(bob, texts[1])
    wait_for_message(alice, texts[1])

    for driver in (alice, bob):
        driver.execute_script(f'{MARK} = true')
    # A hangs first, then is killed, as a watchdog would end it: what bob sends meanwhile certainly reaches alice's
    # page only after it came back. His next message leaves while her page is reconnecting, most likely.
    signal_app(a, signal.SIGSTOP)
    texts.append(f'bob while A hangs {token}')
    send(bob, texts[-1])
    assert marked(alice), "alice's page must not reload while its process hangs"
    killed_at = time.monotonic()
    signal_app(a, signal.SIGKILL)
    texts.append(f'bob after A died {token}')
    send(bob, texts[-1])

    wait(alice, lambda d: served_by(d) == b.port, "alice's page did not come back through the surviving process")
    wait_for_text(alice, 'whoami', 'alice')
    wait_for_messages(alice, texts)
    print(f"alice's page was back, signed in with every message, {time.monotonic() - killed_at:.1f} s after SIGKILL")
    assert page(alice) == Page('reload', b.port, 'websocket')

    texts.append(f'bob after alice is back {token}')
    send(bob, texts[-1])
    wait_for_message(alice, texts[-1])
    texts.append(f'alice on B {token}')
    send(alice, texts[-1])
    wait_for_message(bob, texts[-1])
    for driver in (alice, bob):
        wait_for_messages(driver, texts)
    assert marked(bob), "bob's page, on the surviving process, must not have reloaded"


@dataclass(frozen=True)
class Page:
    """The page a browser shows, once its socket is connected."""

    load: str
    """``navigate``, or ``reload`` when the browser loaded it again (as it does when its socket is refused)."""
    port: int
    """The process that served it."""
    transport: str
    """``websocket``, or ``polling`` when the upgrade did not get through."""


def page(driver: WebDriver) -> Page:
    """Wait until the page's socket is connected (NiceGUI's ``did_handshake``), then describe the page."""
    def connected(d: WebDriver) -> Page | None:
        try:
            state = d.execute_script(
                'if (!window.did_handshake || !window.socket?.connected) return null;'
                "return [performance.getEntriesByType('navigation')[0].type, window.socket.io.engine.transport.name];")
        except WebDriverException:  # the page is being replaced
            return None
        port = served_by(d)
        return Page(state[0], port, state[1]) if state and port else None

    return wait(driver, connected, f'the page socket did not connect on {driver.current_url}')


def open_on(driver: WebDriver, url: str, app: AppProcess) -> None:
    """Load ``url`` as a browser that nginx puts on ``app``. nginx hands each new browser a random route cookie, so
    the browser forgets its cookies (a newcomer again) until the draw lands on ``app``."""
    for _ in range(PLACEMENT_TRIES):
        driver.get(url)
        if served_by(driver) == app.port:
            return
        driver.delete_all_cookies()
    pytest.fail(f'{PLACEMENT_TRIES} new route cookies never put a browser on the process on port {app.port}')


def served_by(driver: WebDriver) -> int | None:
    """The port of the process that served the page shown now (the last address nginx tried), from the test
    config's ``Server-Timing`` header; ``None`` while no page is there to ask."""
    try:
        described = driver.execute_script(
            "const entry = performance.getEntriesByType('navigation')[0];"
            'const metric = entry && entry.serverTiming.find(m => m.name === arguments[0]);'
            'return metric ? metric.description : null;', UPSTREAM_METRIC)
    except WebDriverException:  # the page is being replaced
        return None
    port = str(described or '').rsplit(':', 1)[-1]  # '127.0.0.1:A, 127.0.0.1:B' after a failover
    return int(port) if port.isdigit() else None


def marked(driver: WebDriver) -> bool:
    """Whether the page still is the one the test marked (it has not been loaded anew since)."""
    try:
        return bool(driver.execute_script(f'return {MARK} === true'))
    except WebDriverException:
        return False


def signal_app(app: AppProcess, signum: signal.Signals) -> None:
    """Send ``signum`` to the app's process group. SIGKILL is how a crash or the kernel's OOM killer ends a process:
    no shutdown code runs and its sockets just drop; the wait makes sure that it is gone."""
    assert app.process is not None
    os.killpg(app.process.pid, signum)
    if signum == signal.SIGKILL:
        app.process.wait()
