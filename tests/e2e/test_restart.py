"""A restart of the single SQLite process (``python -m chatapp``, no Redis): every open tab comes back by itself, on
the page it had, signed in as the account it had, without a login. Two browsers: one with two tabs holding two
accounts, one on a chat page.

The browser keeps its tab id in sessionStorage across reloads, and NiceGUI's script reloads the page when the new
process does not know the old page; the tab's account must come back from what the old process wrote to disk.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    app_env,
    click,
    css,
    find,
    gone,
    random_secret,
    running_apps,
    signup,
    wait,
    wait_for_text,
)

PASSWORD = 'correct horse battery staple'
COMEBACK_SECONDS = 45
"""socket.io retries with a growing delay (up to 5 s) while the process is down; then the page reloads."""
OLD_PAGE = 'window.chatappTestOldPage'


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGKILL])
def test_every_tab_comes_back_signed_in_as_its_own_account(tmp_path: Path, new_browser: BrowserFactory,
                                                             signum: signal.Signals) -> None:
    env = app_env(secret=random_secret())  # fixed: the new process must accept the old session cookies
    first = AppProcess(tmp_path / 'app', env)
    with running_apps(first):
        one, other = new_browser(), new_browser()
        signup(one, first.base_url, 'alice', PASSWORD)  # first tab of the first browser: alice, on the dashboard
        alice_tab = Tab(one, one.current_window_handle)
        one.switch_to.new_window('tab')  # second tab, same browser (same cookie), its own tab id
        signup(one, first.base_url, 'bob', PASSWORD)
        bob_tab = Tab(one, one.current_window_handle)
        signup(other, first.base_url, 'carol', PASSWORD)
        other.get(f'{first.base_url}/chat/alice')  # a page with a path of its own (not friends: a notice)
        find(other, 'not-available')
        wait_for_text(other, 'whoami', '@carol')
        carol_tab = Tab(other, other.current_window_handle)
        stop(first, signum, [alice_tab, bob_tab, carol_tab])

    second = AppProcess(tmp_path / 'app', env, port=first.port)  # the same folder, port and secret
    with running_apps(second):
        came_back(alice_tab, '@alice', f'{second.base_url}/')
        came_back(bob_tab, '@bob', f'{second.base_url}/')
        came_back(carol_tab, '@carol', f'{second.base_url}/chat/alice')

        # Logout and "Continue as" still work, and what they chose is what comes back after the next restart.
        bob_tab.focus()
        click(one, 'logout')
        find(one, 'login-username')
        gone(one, 'continue-bob')
        click(one, 'continue-alice')
        wait_for_text(one, 'whoami', '@alice')
        stop(second, signum, [alice_tab, bob_tab, carol_tab])

    third = AppProcess(tmp_path / 'app', env, port=first.port)
    with running_apps(third):
        came_back(alice_tab, '@alice', f'{third.base_url}/')
        came_back(bob_tab, '@alice', f'{third.base_url}/')
        came_back(carol_tab, '@carol', f'{third.base_url}/chat/alice')


@dataclass
class Tab:
    """One tab of one browser."""

    driver: WebDriver
    handle: str

    def focus(self) -> WebDriver:
        self.driver.switch_to.window(self.handle)
        return self.driver


def stop(app: AppProcess, signum: signal.Signals, tabs: list[Tab]) -> None:
    """Mark every tab's page (the mark is gone once the page has reloaded), then end the process with ``signum``."""
    for tab in tabs:
        tab.focus().execute_script(f'{OLD_PAGE} = true')
    assert app.process is not None
    app.process.send_signal(signum)
    app.process.wait(timeout=10)


def came_back(tab: Tab, whoami: str, url: str) -> None:
    """Wait until the tab has reloaded by itself and shows ``whoami`` in its header at ``url``; a tab that lands on
    the login page fails at once."""
    def signed_in(d: WebDriver) -> bool:
        if d.find_elements(By.CSS_SELECTOR, css('login-username')):
            pytest.fail(f'the tab that was {whoami} landed on {d.current_url}, the login page')
        if not d.execute_script(f'return typeof {OLD_PAGE} === "undefined"'):
            return False  # still the page from before the restart
        return any(whoami in e.text for e in d.find_elements(By.CSS_SELECTOR, css('whoami')))

    driver = tab.focus()
    wait(driver, signed_in, f'the tab of {whoami} did not come back signed in', COMEBACK_SECONDS)
    assert driver.current_url.rstrip('/') == url.rstrip('/')
