"""The message box in real Chromium: what is sent is exactly what the box held when Enter was pressed, at paste
speed and at full keyboard speed; text that cannot be sent stays in the box with a reason.

NiceGUI's user simulation cannot show this (it never echoes a value back as a browser does): these tests are the
proof that no message is lost or cut at the keyboard.
"""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    css,
    find,
    running_apps,
    text_field,
    wait,
    wait_for_text,
)
from tests.e2e.pairs import Pair, chatting_pair

BURST = 20


@pytest.fixture
def pair(tmp_path: Path, new_browser: BrowserFactory) -> Iterator[Pair]:
    with chatting_pair(tmp_path, new_browser) as both:
        yield both


def test_pasted_messages_with_enter_and_no_pause_all_arrive_once_in_order(pair: Pair) -> None:
    token = uuid.uuid4().hex[:6]
    texts = [f'pasted {n} of {BURST} · {token} · ünïcødé 🎉 <b>literal</b>' for n in range(1, BURST + 1)]
    box = text_field(pair.alice, 'message-input')
    box.click()
    for text in texts:  # as fast as the browser takes input: paste, Enter, paste, Enter ...
        pair.alice.execute_cdp_cmd('Input.insertText', {'text': text})
        _press_enter(pair.alice)
    for driver in (pair.alice, pair.bob):
        _wait_for_messages(driver, texts)
    assert box.get_attribute('value') == ''


def test_messages_typed_at_full_keyboard_speed_all_arrive_exactly(pair: Pair) -> None:
    token = uuid.uuid4().hex[:6]
    texts = [f'typed {n} of {BURST} {token}' for n in range(1, BURST + 1)]
    box = text_field(pair.alice, 'message-input')
    for text in texts:  # chromedriver types each key with no pause; nothing waits for the previous message
        box.send_keys(text + Keys.ENTER)
    for driver in (pair.alice, pair.bob):
        _wait_for_messages(driver, texts)


def test_shift_enter_makes_a_new_line_and_the_button_sends(pair: Pair) -> None:
    box = text_field(pair.alice, 'message-input')
    box.send_keys('first line', Keys.SHIFT, Keys.ENTER, Keys.SHIFT, 'second line')
    find(pair.alice, 'message-send').click()
    _wait_for_messages(pair.bob, ['first line\nsecond line'])
    assert box.get_attribute('value') == ''


@pytest.mark.parametrize(('text', 'reason'), [
    ('x' * 4001, 'at most 4,000 characters long (4,001 now)'),
    ('broken \ud83d half', 'broken character'),
    ('   ', 'Type a message first.'),
])
def test_text_that_cannot_be_sent_stays_in_the_box_with_a_reason(pair: Pair, text: str, reason: str) -> None:
    box = text_field(pair.alice, 'message-input')
    # As JavaScript source: a lone surrogate cannot travel as a WebDriver argument (its JSON is invalid).
    pair.alice.execute_script(f'arguments[0].value = {json.dumps(text)}', box)
    _press_enter(pair.alice)
    wait_for_text(pair.alice, 'composer-note', reason)
    kept = pair.alice.execute_script('return JSON.stringify(arguments[0].value)', box)
    assert kept == json.dumps(text)  # not a character lost
    pair.alice.execute_script('arguments[0].value = ""', box)
    box.send_keys('sent after all' + Keys.ENTER)  # and an older text is never sent in its place
    _wait_for_messages(pair.bob, ['sent after all'])


def test_a_draft_survives_a_reload(pair: Pair) -> None:
    box = text_field(pair.alice, 'message-input')
    box.send_keys('half-written thought')
    pair.alice.refresh()
    box = text_field(pair.alice, 'message-input')
    wait(pair.alice, lambda _: box.get_attribute('value') == 'half-written thought', 'the draft did not come back')


def test_what_was_typed_while_the_server_restarted_is_still_in_the_box(pair: Pair) -> None:
    """The server stops while alice types; Enter meanwhile keeps the text (there is no socket to take it); after the
    restart her page reloads by itself, signed in, with the text still in the box, and it sends once."""
    box = text_field(pair.alice, 'message-input')
    box.send_keys('sent before')
    _press_enter(pair.alice)
    _wait_for_messages(pair.bob, ['sent before'])
    pair.alice.execute_script('window.chatappOldPage = true')
    assert pair.app.process is not None
    pair.app.process.send_signal(signal.SIGKILL)
    pair.app.process.wait(timeout=10)
    box.send_keys('typed while the server was away')
    wait(pair.alice, lambda d: not d.execute_script('return window.socket.connected'), 'the socket stayed up')
    _press_enter(pair.alice)  # no socket: the text must stay
    assert box.get_attribute('value') == 'typed while the server was away'

    again = AppProcess(pair.app.data_dir, pair.app.env, port=pair.app.port)
    with running_apps(again):
        wait(pair.alice, lambda d: d.execute_script('return window.chatappOldPage === undefined'),
             'the page did not reload after the restart', timeout=45)
        box = text_field(pair.alice, 'message-input')
        wait(pair.alice, lambda _: box.get_attribute('value') == 'typed while the server was away',
             'the text typed during the restart is not in the box')
        _press_enter(pair.alice)
        _wait_for_messages(pair.bob, ['sent before', 'typed while the server was away'])
        _wait_for_messages(pair.alice, ['sent before', 'typed while the server was away'])


def _press_enter(driver: WebDriver) -> None:
    for kind in ('keyDown', 'keyUp'):
        driver.execute_cdp_cmd('Input.dispatchKeyEvent', {'type': kind, 'key': 'Enter', 'code': 'Enter',
                                                          'windowsVirtualKeyCode': 13, 'text': '\r'})


def _shown(driver: WebDriver) -> list[str]:
    """The texts of the message bubbles, read in one go (blocks are redrawn as messages join them)."""
    selector = f'{css("message-list")} {css("message")}'
    texts = driver.execute_script('return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)',
                                  selector)
    return list(texts)


def _wait_for_messages(driver: WebDriver, texts: list[str]) -> None:
    """Until the page shows at least as many messages as expected; then they must be exactly ``texts``."""
    wait(driver, lambda d: len(_shown(d)) >= len(texts), f'fewer than {len(texts)} messages: {_shown(driver)}')
    assert _shown(driver) == texts
