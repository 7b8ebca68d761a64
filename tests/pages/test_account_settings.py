"""The account cards of the settings page, as people use them: a password change signs out the other browsers (open
pages at once, the rest at their next step), "sign out everywhere" signs out all, and a deleted account is gone."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import sessions
from chatapp.services.users import get_user
from tests.factories import PASSWORD, make_group, make_user, say
from tests.pages.helpers import log_in, settle, signed_in, timeline_lines, wait_for_message

NEW = 'a brand new passphrase'


async def test_a_password_change_keeps_this_browser_and_signs_out_the_others(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    here, there = user, create_user()  # two browsers, both alice
    await signed_in(there, 'alice', '/friends')
    await signed_in(here, 'alice', '/settings')
    here_too = User(here.http_client)  # another tab of this browser, open on a page
    await here_too.open('/friends')
    await here_too.should_see(marker='continue-alice')
    here_too.find(marker='continue-alice').click()  # a new tab picks one of the browser's accounts
    await here_too.should_see(marker='whoami')
    await settle(here_too)
    there_later = User(there.http_client)  # a tab of the other browser that opens a page only afterwards

    here.find(marker='password-old').type('not my password')
    here.find(marker='password-new').type(NEW)
    here.find(marker='password-again').type(NEW)
    here.find(marker='password-save').click()
    await here.should_see('Your current password is not right.')
    await there.should_see(marker='whoami')  # a refusal signs nobody out

    here.find(marker='password-old').type(PASSWORD)
    here.find(marker='password-new').type(NEW)
    here.find(marker='password-again').type(NEW)
    here.find(marker='password-save').click()
    await here.should_see(marker='password-saved', content='Password changed.')

    await there.should_see(marker='login-username')  # its open page was sent to the login page by the event
    await there_later.open('/')
    await there_later.should_see(marker='login-username')  # and the browser's proof no longer counts
    await there_later.should_not_see(marker='continue-alice')
    await here_too.open('/')  # this browser stays signed in, in every tab
    await here_too.should_see(marker='whoami', content='@alice')
    await here.open('/settings')
    await here.should_see(marker='whoami', content='@alice')

    await log_in(there, 'alice')  # the old password no longer works; the new one does
    await there.should_see('Wrong username or password.')
    await log_in(there, 'alice', password=NEW)
    await there.should_see(marker='whoami', retries=100)


async def test_new_passwords_that_differ_or_break_the_rules_are_refused_in_the_page(user: User,
                                                                                     chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/settings')
    for new, again, message in ((NEW, NEW + '!', 'The two new passwords are not the same.'),
                                ('short', 'short', 'Use at least 8 characters'),
                                (PASSWORD, PASSWORD, 'differs from the current one')):
        user.find(marker='password-old').clear().type(PASSWORD)
        user.find(marker='password-new').clear().type(new)
        user.find(marker='password-again').clear().type(again)
        user.find(marker='password-save').click()
        await user.should_see(marker='password-error', content=message)
    account = await chat.run(get_user, user_id=alice.id)
    assert account is not None and account.session_epoch == 0


async def test_a_page_load_checks_the_epoch_even_when_no_event_came(user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/friends')
    chat.run.run_sync(sessions.sign_out_everywhere, actor_id=alice.id)  # committed, its event never published
    await user.should_see(marker='whoami')  # nothing told the open page
    await user.open('/settings')  # but its next load compares the epochs
    await user.should_see(marker='login-username')
    await user.should_not_see(marker='continue-alice')


async def test_sign_out_everywhere(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    here, there = user, create_user()
    await signed_in(there, 'alice', '/friends')
    await signed_in(here, 'alice', '/settings')
    here.find(marker='sign-out-everywhere').click()
    await here.should_see(marker='confirm-sign-out-everywhere')
    here.find(marker='confirm-sign-out-everywhere').click()
    await here.should_see(marker='login-username')
    await there.should_see(marker='login-username')
    for browser in (here, there):
        await browser.open('/settings')
        await browser.should_see(marker='login-username')
        await browser.should_not_see(marker='continue-alice')


async def test_a_deleted_account_is_gone_and_its_messages_stay(user: User, create_user: Callable[[], User],
                                                               chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice', display_name='Alice'), make_user(chat.run, 'bob')
    carol = make_user(chat.run, 'carol')
    group = make_group(chat.run, alice, [bob, carol]).conversation_id
    say(chat.run, alice, group, 'remember me')
    here, friend = user, create_user()
    await signed_in(friend, 'bob', f'/group/{group}')
    await wait_for_message(friend, 'remember me')
    await settle(friend)
    await signed_in(here, 'alice', '/settings')

    here.find(marker='delete-password').type('not my password')
    here.find(marker='delete-account').click()
    here.find(marker='confirm-delete-account').click()
    await here.should_see(marker='delete-error', content='Your current password is not right.')

    here.find(marker='delete-password').type(PASSWORD)
    here.find(marker='delete-account').click()
    here.find(marker='confirm-delete-account').click()
    await here.should_see(marker='login-username')

    await friend.open(f'/group/{group}')  # the friend's chat keeps the message and names its author no more
    await wait_for_message(friend, 'remember me')
    assert 'Deleted account left; you are now an admin' in timeline_lines(friend)
    await log_in(here, 'alice')
    await here.should_see('Wrong username or password.')
    await here.should_not_see(marker='whoami')
