"""The real app in a subprocess, real Chromium through selenium, and a page object that drives the pages by their
``data-testid`` hooks.

Every wait is explicit and bounded: a test waits for what a user would see, never for a fixed time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from bench import server
from bench.server import random_secret

WAIT_SECONDS = 15
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
                 '--window-size=1280,900']
T = TypeVar('T')
BrowserFactory = Callable[[], WebDriver]


# --- the app -------------------------------------------------------------------------------------------------------

class AppProcess(server.AppProcess):
    """``python -m chatapp`` on a free port (see ``bench.server``); a start that fails fails the test."""

    def wait_ready(self) -> None:
        try:
            super().wait_ready()
        except server.AppFailed as error:
            pytest.fail(str(error))


def app_env(database_url: str | None = None, redis_url: str | None = None, redis_prefix: str | None = None,
            secret: str | None = None) -> dict[str, str]:
    """The ``CHATAPP_*`` variables for an app process: cheap argon2id, a random secret unless one is given."""
    env = {'CHATAPP_SECRET': secret or random_secret(), 'CHATAPP_ARGON2_MEMORY_KIB': '1024',
           'CHATAPP_ARGON2_TIME_COST': '1'}
    if database_url:
        env['CHATAPP_DATABASE_URL'] = database_url
    if redis_url:
        env['CHATAPP_REDIS_URL'] = redis_url
    if redis_prefix:
        env['CHATAPP_REDIS_PREFIX'] = redis_prefix
    return env


@contextmanager
def running_apps(*apps: AppProcess) -> Iterator[None]:
    """Start ``apps`` side by side, wait until each answers, and always stop them all, printing their output
    (pytest shows it when the test failed)."""
    try:
        for app in apps:
            app.launch()
        for app in apps:
            app.wait_ready()
        yield
    finally:
        for app in apps:
            app.stop()
        for app in apps:
            print(f'----- app on port {app.port} -----\n{app.output()}')


# --- the browser ---------------------------------------------------------------------------------------------------

def chrome_paths() -> tuple[str, str]:
    """Chromium and ChromeDriver, from the environment or Debian's places; a missing one fails the test."""
    chromium = os.environ.get('CHATAPP_TEST_CHROMIUM', '/usr/bin/chromium')
    driver = os.environ.get('CHATAPP_TEST_CHROMEDRIVER', '/usr/bin/chromedriver')
    for name, path in (('Chromium', chromium), ('ChromeDriver', driver)):
        if not os.access(path, os.X_OK):
            pytest.fail(f'{name} not found at {path}: install Debian packages chromium and chromium-driver '
                        '(.ci/run does) or set CHATAPP_TEST_CHROMIUM / CHATAPP_TEST_CHROMEDRIVER')
    return chromium, driver


def start_chrome(profile: Path, *, performance_log: bool = False) -> WebDriver:
    """A headless Chromium with its own empty profile. The driver path is explicit, so selenium-manager never runs
    (it would try to download a driver). ``performance_log``: keep DevTools' network events for ``get_log``."""
    chromium, driver_path = chrome_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in [*CHROMIUM_ARGS, f'--user-data-dir={profile}']:
        options.add_argument(arg)
    if performance_log:
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    service = Service(executable_path=driver_path, log_output=str(profile.with_suffix('.chromedriver.log')))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


# --- the page object -----------------------------------------------------------------------------------------------

def css(testid: str) -> str:
    return f'[data-testid="{testid}"]'


def wait(driver: WebDriver, condition: Callable[[WebDriver], T | None], message: str, timeout: float = WAIT_SECONDS
         ) -> T:
    """``condition`` until it returns something truthy; elements replaced under our feet are simply looked up again."""
    result = WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
                           ).until(condition, message)
    assert result is not None  # until() returns only a truthy value or raises TimeoutException
    return result


def find(driver: WebDriver, testid: str, timeout: float = WAIT_SECONDS) -> WebElement:
    """The visible, enabled element with this ``data-testid``."""
    def visible(d: WebDriver) -> WebElement | None:
        for element in d.find_elements(By.CSS_SELECTOR, css(testid)):
            if element.is_displayed() and element.is_enabled():
                return element
        return None

    return wait(driver, visible, f'no visible [data-testid={testid}] on {driver.current_url}', timeout)


def gone(driver: WebDriver, testid: str, timeout: float = WAIT_SECONDS) -> None:
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, css(testid)),
         f'[data-testid={testid}] is still on {driver.current_url}', timeout)


def click(driver: WebDriver, testid: str) -> None:
    """Click ``testid`` once it stands still. A dialog scales in for about 300 ms, and its buttons may be enabled
    before it ends (the attach dialog's Send once a pasted picture is stored): chromedriver aims at the centre it
    measured, and a button that moved on meanwhile takes no click, so two polls must see the same rectangle."""
    seen: list[dict[str, float]] = []

    def still_then_click(d: WebDriver) -> bool:
        element = find(d, testid)
        rect = element.rect
        if not seen or seen[-1] != rect:
            seen.append(rect)
            return False
        return _click(element)

    wait(driver, still_then_click, f'could not click [data-testid={testid}]')


def type_into(driver: WebDriver, testid: str, text: str, *, enter: bool = False) -> None:
    """Type into the text field ``testid``, then press Enter if asked."""
    field_ = text_field(driver, testid)
    field_.clear()
    field_.send_keys(text)
    wait(driver, lambda _: field_.get_attribute('value') == text, f'[data-testid={testid}] did not take the text')
    if enter:
        field_.send_keys(Keys.ENTER)


def text_field(driver: WebDriver, testid: str) -> WebElement:
    """The ``<input>``/``<textarea>`` of ``testid``. Quasar puts a ``ui.input``'s attributes on the native element
    itself (seen with NiceGUI 3.18), but a wrapper holding one is accepted too."""
    element = find(driver, testid)
    return element if element.tag_name in {'input', 'textarea'} else \
        element.find_element(By.CSS_SELECTOR, 'input, textarea')


def wait_for_text(driver: WebDriver, testid: str, text: str, timeout: float = WAIT_SECONDS) -> WebElement:
    """The first element with ``testid`` whose visible text contains ``text``."""
    def has_text(d: WebDriver) -> WebElement | None:
        return next((e for e in d.find_elements(By.CSS_SELECTOR, css(testid)) if text in e.text), None)

    return wait(driver, has_text, f'no [data-testid={testid}] containing {text!r} on {driver.current_url}', timeout)


def open_dashboard(driver: WebDriver, base: str) -> None:
    """Go to ``/friends`` (friends, requests, people search) and wait until the search box is there."""
    driver.get(f'{base}/friends')
    find(driver, 'search-input')


def signup(driver: WebDriver, base: str, username: str, password: str, display_name: str = '') -> None:
    """Sign up through /signup and wait until the header says who we are."""
    driver.get(f'{base}/signup')
    type_into(driver, 'signup-username', username)
    type_into(driver, 'signup-display-name', display_name or username.title())
    type_into(driver, 'signup-password', password)
    click(driver, 'signup-submit')
    wait_for_text(driver, 'whoami', username)


def login(driver: WebDriver, base: str, username: str, password: str) -> None:
    """Log in through /login and wait until the header says who we are."""
    driver.get(f'{base}/login')
    type_into(driver, 'login-username', username)
    type_into(driver, 'login-password', password)
    click(driver, 'login-submit')
    wait_for_text(driver, 'whoami', username)


def search_and_add(driver: WebDriver, username: str) -> None:
    """On the dashboard: search ``username`` (Enter), send a friend request, wait until it shows as outgoing."""
    type_into(driver, 'search-input', username, enter=True)
    click(driver, f'search-add-{username}')
    find(driver, f'cancel-{username}')


def accept(driver: WebDriver, username: str) -> None:
    """On the dashboard: accept ``username``'s incoming request (waiting for it to arrive) and see them as a friend."""
    click(driver, f'accept-{username}')
    find(driver, f'chat-{username}')


def open_chat(driver: WebDriver, username: str) -> None:
    """From the dashboard's friend list to ``/chat/<username>``, ready to type."""
    click(driver, f'chat-{username}')
    wait(driver, lambda d: d.current_url.rstrip('/').endswith(f'/chat/{username}'), f'not on /chat/{username}')
    find(driver, 'message-input')


def send(driver: WebDriver, text: str) -> WebElement:
    """Send ``text`` with Enter and return its bubble once it is shown in our own list."""
    type_into(driver, 'message-input', text, enter=True)
    bubble = wait_for_message(driver, text)
    field_ = text_field(driver, 'message-input')
    wait(driver, lambda _: field_.get_attribute('value') == '', 'the message input was not cleared after sending')
    return bubble


def wait_for_message(driver: WebDriver, text: str, timeout: float = WAIT_SECONDS) -> WebElement:
    """The message bubble inside ``message-list`` whose text contains ``text``."""
    def bubble(d: WebDriver) -> WebElement | None:
        bubbles = d.find_elements(By.CSS_SELECTOR, f'{css("message-list")} {css("message")}')
        return next((b for b in bubbles if text in b.text), None)

    return wait(driver, bubble, f'no message containing {text!r} on {driver.current_url}', timeout)


def _click(element: WebElement) -> bool:
    try:
        element.click()
    except WebDriverException as error:  # covered by a notification or still animating: try again
        if isinstance(error, StaleElementReferenceException):
            raise
        return False
    return True


def shown_messages(driver: WebDriver) -> list[str]:
    """The texts of every message bubble in ``message-list``, oldest first. Read in one script, so a block that the
    server replaces meanwhile cannot make a bubble count twice or not at all."""
    texts = driver.execute_script('return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)',
                                  f'{css("message-list")} {css("message")}')
    return [str(text) for text in texts or []]


def wait_for_messages(driver: WebDriver, texts: list[str], timeout: float = WAIT_SECONDS) -> list[str]:
    """Wait until each of ``texts`` is shown exactly once and in this order (other messages may be around them);
    return every text shown. A duplicate that is already there keeps the wait going, so it fails the test."""
    shown: list[str] = []

    def each_once(d: WebDriver) -> bool:
        nonlocal shown
        shown = shown_messages(d)
        hits = [text for bubble in shown for text in texts if text in bubble]
        return hits == texts

    try:
        wait(driver, each_once, 'messages', timeout)
    except TimeoutException:
        raise AssertionError(f'{texts} are not each shown once, in order, on {driver.current_url}; shown: {shown}'
                             ) from None
    return shown


# --- the inbox -----------------------------------------------------------------------------------------------------

def inbox_row(driver: WebDriver, conversation_id: int, timeout: float = WAIT_SECONDS) -> WebElement:
    """The visible inbox row (an ``<a>``) of the conversation, once it is shown."""
    selector = f'{css("inbox-row")}[data-conversation="{conversation_id}"]'

    def row(d: WebDriver) -> WebElement | None:
        return next((e for e in d.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None)

    return wait(driver, row, f'no inbox row for conversation {conversation_id} on {driver.current_url}', timeout)


def open_row(driver: WebDriver, conversation_id: int) -> None:
    """Click the conversation's inbox row. The list redraws its blocks (at most every 0.25 s while events come in),
    which can replace the row between finding and clicking it: then it is found again."""
    wait(driver, lambda d: _click(inbox_row(d, conversation_id)),
         f'could not click the inbox row of conversation {conversation_id}')


def unread_badge(driver: WebDriver, conversation_id: int) -> int:
    """The unread count the row's badge shows (0: no badge); words for screen readers may follow the number."""
    badges = inbox_row(driver, conversation_id).find_elements(By.CSS_SELECTOR, '.inbox-badge')
    if not badges:
        return 0
    number = re.match(r'\d+', badges[0].text)
    assert number is not None, f'the unread badge shows no number: {badges[0].text!r}'
    return int(number.group())


def wait_for_badge(driver: WebDriver, conversation_id: int, count: int) -> None:
    """Until the row's badge shows ``count`` (0: until it has none)."""
    seen: list[int] = []

    def shows(d: WebDriver) -> bool:
        seen.append(unread_badge(d, conversation_id))
        return seen[-1] == count

    wait(driver, shows, f'the badge of conversation {conversation_id} never showed {count}: it showed {seen[-3:]}')


def title_count(driver: WebDriver) -> int:
    """The "(N)" in front of the tab title, 0 when there is none."""
    match = re.match(r'\((\d+)\) ', driver.title)
    return int(match.group(1)) if match else 0


def wait_for_title_count(driver: WebDriver, count: int) -> None:
    """Until the tab title counts ``count`` unread (0: until it has no count)."""
    wait(driver, lambda d: title_count(d) == count, f'the title never counted {count}: {driver.title!r}')
