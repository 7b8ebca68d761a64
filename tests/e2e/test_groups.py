"""A group of three in three real browsers on one app process: alice creates it in the "New group" dialog, the
three talk (each sees every message once, in order), and carol, waiting on her inbox, watches her unread badge and
the tab title count up and clear when she opens the group.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from tests.conftest import make_settings
from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    app_env,
    click,
    find,
    inbox_row,
    login,
    open_row,
    random_secret,
    running_apps,
    send,
    text_field,
    type_into,
    wait,
    wait_for_badge,
    wait_for_messages,
    wait_for_text,
    wait_for_title_count,
)
from tests.factories import PASSWORD, make_friends, make_group, make_user, user_named

GROUP = 'Weekend plans'


@dataclass
class Trio:
    """alice (friends with bob and carol; bob and carol are strangers), each signed in in a browser of their own."""

    app: AppProcess
    services: ServiceRunner
    alice: WebDriver
    bob: WebDriver
    carol: WebDriver


@pytest.fixture
def trio(tmp_path: Path, new_browser: BrowserFactory) -> Iterator[Trio]:
    database_url = f"sqlite:///{tmp_path / 'server' / 'chatapp.db'}"
    (tmp_path / 'server').mkdir()
    services = make_runner(make_settings(tmp_path / 'services', database_url), MemoryBroker())
    try:
        alice = make_user(services, 'alice', display_name='Alice')
        for name in ('bob', 'carol'):
            make_friends(services, alice, make_user(services, name, display_name=name.title()))
        app = AppProcess(tmp_path / 'server', app_env(database_url=database_url, secret=random_secret()))
        with running_apps(app):
            browsers = {name: new_browser() for name in ('alice', 'bob', 'carol')}
            for name, driver in browsers.items():
                login(driver, app.base_url, name, PASSWORD)
            yield Trio(app, services, **browsers)
    finally:
        services.shutdown()
        services.engine.dispose()


def test_a_group_of_three_talks_and_the_inbox_badge_counts_up_then_clears(trio: Trio) -> None:
    base = trio.app.base_url
    for driver in (trio.alice, trio.bob, trio.carol):
        driver.get(f'{base}/')
        find(driver, 'inbox')

    path = create_group(trio.alice, GROUP, ['bob', 'carol'])
    group_id = int(path.rsplit('/', 1)[1])
    for driver in (trio.bob, trio.carol):  # the new group reaches both inboxes live
        inbox_row(driver, group_id)
    trio.bob.get(f'{base}{path}')
    find(trio.bob, 'message-input')
    carol_start = 1  # "Alice created the group" is the first thing in it, unread like a message
    wait_for_badge(trio.carol, group_id, carol_start)
    wait_for_title_count(trio.carol, carol_start)

    token = uuid.uuid4().hex[:6]
    texts: list[str] = []
    for number, (writer, reader) in enumerate([(trio.alice, trio.bob), (trio.bob, trio.alice),
                                                (trio.alice, trio.bob), (trio.bob, trio.alice)], start=1):
        text = f'message {number} · {token}'
        texts.append(text)
        send(writer, text)
        wait_for_messages(reader, texts)  # before the next one, so the order is the one everybody must see
        wait_for_badge(trio.carol, group_id, carol_start + number)
        wait_for_title_count(trio.carol, carol_start + number)
    wait_for_messages(trio.alice, texts)

    open_row(trio.carol, group_id)  # a plain link: the group opens beside the inbox
    wait(trio.carol, lambda d: d.current_url.rstrip('/').endswith(path), f'carol is not on {path}')
    find(trio.carol, 'message-input')
    wait_for_messages(trio.carol, texts)
    wait_for_badge(trio.carol, group_id, 0)
    wait_for_title_count(trio.carol, 0)

    texts.append(f'carol here · {token}')
    send(trio.carol, texts[-1])
    for driver in (trio.alice, trio.bob, trio.carol):
        wait_for_messages(driver, texts)


def test_typing_the_next_message_right_after_sending_one_shows_typing(trio: Trio) -> None:
    """A person who sends and at once starts the next message is typing again: the others must see it (the browser
    starts a new typing signal after every send)."""
    people = [user_named(trio.services, name) for name in ('alice', 'bob')]
    group = make_group(trio.services, people[0], people[1:], befriend=False)
    for driver in (trio.alice, trio.bob):
        driver.get(f'{trio.app.base_url}{group.path}')
        find(driver, 'message-input')
    first = f'first · {uuid.uuid4().hex[:6]}'
    send(trio.alice, first)  # her typing of it went out a moment ago
    text_field(trio.alice, 'message-input').send_keys('and then')
    wait_for_messages(trio.bob, [first])
    wait_for_text(trio.bob, 'typing', 'Alice is typing…')


# --- helpers -------------------------------------------------------------------------------------------------------

def create_group(driver: WebDriver, name: str, usernames: list[str]) -> str:
    """Through the inbox's "New group" dialog: name it, pick ``usernames`` among my friends, create; the path of the
    group, once its page is open and ready to type."""
    click(driver, 'new-group')
    type_into(driver, 'new-group-name', name)
    for username in usernames:
        pick_member(driver, username)
    click(driver, 'new-group-create')
    wait(driver, lambda d: '/group/' in d.current_url, 'the new group did not open')
    find(driver, 'message-input')
    return '/group/' + driver.current_url.rstrip('/').rsplit('/group/', 1)[1]


def pick_member(driver: WebDriver, username: str) -> None:
    """In the members field: type the username (the options narrow to it), click its option, see its chip. A menu
    that did not open (the field was still animating) is opened again by another click."""
    field_ = text_field(driver, 'new-group-members')
    field_.send_keys(username)
    polls = 0

    def picked(d: WebDriver) -> bool:
        nonlocal polls
        if any(f'@{username}' in chip.text for chip in d.find_elements(By.CSS_SELECTOR, '.q-chip')):
            return True
        option = next((item for item in d.find_elements(By.CSS_SELECTOR, '.q-menu .q-item')
                       if item.is_displayed() and f'@{username}' in item.text), None)
        polls += 1
        if option is not None:
            option.click()
        elif polls % 10 == 0:
            field_.click()
        return False

    wait(driver, picked, f'@{username} could not be picked in the members field')
    field_.send_keys(Keys.ESCAPE)  # close the options menu, not the dialog
