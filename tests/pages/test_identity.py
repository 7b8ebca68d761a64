"""Per-tab identity: several accounts in one browser, reloads, logout, redirects."""

from __future__ import annotations

import asyncio

import pytest
from nicegui.testing import User

from chatapp.app import ChatApp
from tests.factories import make_friends, make_user, user_named
from tests.pages.helpers import log_in, send, sign_up, wait_for_message


async def test_anonymous_visitor_is_sent_to_login_and_back(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    await user.open('/chat/bob')
    await user.should_see(marker='login-username')
    await log_in(user, 'alice', next_path='/chat/bob')
    await user.should_see(marker='not-available')  # landed on /chat/bob (not a friend of anybody called bob)


@pytest.mark.parametrize('target', ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:x'])
async def test_login_never_redirects_off_site(user: User, chat: ChatApp, target: str) -> None:
    make_user(chat.run, 'alice')
    await log_in(user, 'alice', next_path=target)
    await user.should_see(marker='whoami', retries=30)
    await user.should_see(marker='inbox')  # the inbox, not the target


async def test_two_tabs_of_one_browser_hold_two_people(user: User, chat: ChatApp) -> None:
    alice_tab = user
    await sign_up(alice_tab, 'alice')
    bob_tab = User(alice_tab.http_client)  # same cookies, new tab
    await bob_tab.open('/login')
    await bob_tab.should_see(marker='continue-alice')  # the browser knows alice, but this tab is nobody yet
    await bob_tab.should_not_see(marker='whoami')
    await sign_up(bob_tab, 'bob')
    await bob_tab.should_see(marker='whoami', content='@bob')

    await alice_tab.open('/')  # a reload keeps the tab's own account
    # In the header, not anywhere: the login page offers '@alice' too, as a "continue as" button.
    await alice_tab.should_see(marker='whoami', content='@alice')
    await alice_tab.should_not_see('@bob')

    make_friends(chat.run, user_named(chat.run, 'alice'), user_named(chat.run, 'bob'))
    await alice_tab.open('/chat/bob')
    await bob_tab.open('/chat/alice')
    await send(alice_tab, 'from the first tab')
    await wait_for_message(bob_tab, 'from the first tab')

    bob_tab.find(marker='logout').click()
    await bob_tab.should_see(marker='login-username')
    await alice_tab.open('/')
    await alice_tab.should_see(marker='whoami', content='@alice')  # still signed in
    await bob_tab.open('/')
    await bob_tab.should_see(marker='login-username')
    await bob_tab.should_not_see(marker='continue-bob')  # bob was logged out of this browser


async def test_wrong_password_shows_one_message(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    await log_in(user, 'alice', password='not the password')
    await user.should_see('Wrong username or password.')
    await log_in(user, 'nobody', password='not the password')
    await user.should_see('Wrong username or password.')
    await user.should_not_see(marker='whoami')


@pytest.mark.parametrize(('username', 'password', 'message'), [
    ('al', 'a fine long password', 'username'),
    ('alice!', 'a fine long password', 'username'),
    ('alice', 'short', '8'),
    ('alice', 'password123', 'common'),
])
async def test_signup_refusals_are_shown_in_the_page(user: User, chat: ChatApp, username: str, password: str,
                                                     message: str) -> None:
    await user.open('/signup')
    await user.should_see(marker='signup-username')
    user.find(marker='signup-username').type(username)
    user.find(marker='signup-password').type(password)
    user.find(marker='signup-submit').click()
    await user.should_see(marker='signup-error')
    await _error_mentions(user, message)
    await user.should_not_see(marker='whoami')


async def _error_mentions(user: User, fragment: str) -> None:
    for _ in range(30):
        (label,) = user.find(marker='signup-error').elements
        if fragment.lower() in label.text.lower():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'signup error {label.text!r} does not mention {fragment!r}')


async def test_repeated_failures_are_slowed_down_with_a_clear_message(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    for _ in range(chat.settings.login_max_failures):
        await log_in(user, 'alice', password='not the password')
        await user.should_see('Wrong username or password.')
    await log_in(user, 'alice')  # even the right password waits now
    await user.should_see('Too many failed attempts. Try again in')
    await user.should_not_see(marker='whoami')
