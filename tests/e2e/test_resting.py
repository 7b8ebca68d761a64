"""Resting pages in real Chromium (``pages.dormancy``): a chat tab left in the background goes to rest, counts the
messages that come meanwhile in its title, and comes back whole, draft included, the moment it is selected again,
with no extra entry in the tab's history."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import BrowserFactory, send, text_field, type_into, wait, wait_for_messages
from tests.e2e.pairs import chatting_pair

RESTS_AFTER = 2


def background_tab(driver: WebDriver, handle: str) -> dict[str, str]:
    """The url and title of a tab that is not selected, read through DevTools: switching to it would select it."""
    for info in driver.execute_cdp_cmd('Target.getTargets', {})['targetInfos']:
        if info['type'] == 'page' and info['targetId'] == handle:  # chromedriver's handles are DevTools' target ids
            return {'url': info['url'], 'title': info['title']}
    raise AssertionError(f'no tab {handle}')


def test_a_background_chat_rests_counts_what_comes_and_comes_back_whole(
        tmp_path: Path, new_browser: BrowserFactory) -> None:
    with chatting_pair(tmp_path, new_browser, {'CHATAPP_DORMANT_AFTER_SECONDS': str(RESTS_AFTER)}) as pair:
        alice, bob, base = pair.alice, pair.bob, pair.app.base_url
        send(bob, 'before you left')
        wait_for_messages(alice, ['before you left'])
        type_into(alice, 'message-input', 'half a thought')
        history = alice.execute_script('return history.length')
        chat_tab = alice.current_window_handle
        alice.switch_to.new_window('tab')  # the chat's tab is hidden now
        wait(alice, lambda d: '/rest?next=' in background_tab(d, chat_tab)['url'], 'the hidden chat never rested',
             timeout=RESTS_AFTER + 15)
        send(bob, 'while you were away')
        wait(alice, lambda d: background_tab(d, chat_tab)['title'] == '(1) Bob · chatapp',
             'the resting tab did not count the message in its title')
        alice.switch_to.window(chat_tab)  # selected again: visible
        wait(alice, lambda d: d.current_url == f'{base}/chat/bob', 'the tab did not go back to its chat')
        wait_for_messages(alice, ['before you left', 'while you were away'])  # each once, from the database
        field = text_field(alice, 'message-input')
        wait(alice, lambda _: field.get_attribute('value') == 'half a thought', 'the draft did not come back')
        assert alice.execute_script('return history.length') == history  # Back still leads where it led before
