"""Read receipts in real Chromium: "Seen" appears under alice's message on her open page, live, once bob opens the
conversation (and not while he only has his inbox open)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services.tx import ServiceRunner
from tests.conftest import make_settings
from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    app_env,
    css,
    find,
    login,
    open_row,
    random_secret,
    running_apps,
    send,
    wait,
    wait_for_badge,
    wait_for_messages,
)
from tests.factories import PASSWORD, make_user, open_chat

RECEIPTS = f'{css("message-list")} {css("receipt")}'
RECEIPT_UNDER = '''
  const receipts = [...document.querySelectorAll(arguments[0])];
  return receipts.map(r => {
    let bubble = r.previousElementSibling;
    while (bubble && !bubble.matches('[data-testid="message"]')) bubble = bubble.previousElementSibling;
    return [r.textContent, bubble ? bubble.textContent : null];
  });
'''
"""Each receipt line with the text of the message bubble it sits under (receipts follow their message's bubble)."""


@dataclass
class Pair:
    app: AppProcess
    services: ServiceRunner
    conversation_id: int
    alice: WebDriver
    bob: WebDriver


@pytest.fixture
def pair(tmp_path: Path, new_browser: BrowserFactory) -> Iterator[Pair]:
    """alice and bob, friends with a direct conversation, each signed in in a browser of their own."""
    database_url = f"sqlite:///{tmp_path / 'server' / 'chatapp.db'}"
    (tmp_path / 'server').mkdir()
    services = make_runner(make_settings(tmp_path / 'services', database_url), MemoryBroker())
    try:
        conversation_id = open_chat(services, make_user(services, 'alice', display_name='Alice'),
                                    make_user(services, 'bob', display_name='Bob'))
        app = AppProcess(tmp_path / 'server', app_env(database_url=database_url, secret=random_secret()))
        with running_apps(app):
            alice, bob = new_browser(), new_browser()
            login(alice, app.base_url, 'alice', PASSWORD)
            login(bob, app.base_url, 'bob', PASSWORD)
            yield Pair(app, services, conversation_id, alice, bob)
    finally:
        services.shutdown()
        services.engine.dispose()


def test_seen_appears_under_my_message_live_when_the_other_person_opens_the_chat(pair: Pair) -> None:
    base = pair.app.base_url
    pair.alice.get(f'{base}/chat/bob')
    find(pair.alice, 'message-input')
    pair.bob.get(f'{base}/')
    find(pair.bob, 'inbox')

    text = f'are you there? {uuid.uuid4().hex[:6]}'
    send(pair.alice, text)
    wait_for_badge(pair.bob, pair.conversation_id, 1)  # bob has it, unread: nothing may say Seen yet
    assert receipts(pair.alice) == [], 'Seen before bob opened the conversation'

    pair.alice.execute_script('window.chatappSamePage = true')
    open_row(pair.bob, pair.conversation_id)
    wait_for_messages(pair.bob, [text])
    wait(pair.alice, lambda d: any(line.startswith('Seen') for line, _ in receipts(d)),
         'no "Seen" appeared on alice\'s page')
    lines = receipts(pair.alice)
    assert len(lines) == 1 and lines[0][1] == text, f'"Seen" is not (only) under alice\'s message: {lines}'
    assert pair.alice.execute_script('return window.chatappSamePage === true'), 'alice\'s page was reloaded'
    wait_for_badge(pair.bob, pair.conversation_id, 0)


def receipts(driver: WebDriver) -> list[tuple[str, str | None]]:
    """(receipt text, text of the message it is under) for each receipt line shown in the conversation."""
    return [(str(line), bubble) for line, bubble in driver.execute_script(RECEIPT_UNDER, RECEIPTS) or []]
