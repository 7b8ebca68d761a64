"""The original app's walkthrough: two people sign up, search, request, accept and chat, all live."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from chatapp.app import ChatApp
from tests.pages.helpers import message_texts, send, settle, sign_up, wait_for_message


async def test_two_people_become_friends_and_chat_live(user: User, create_user: Callable[[], User],
                                                       chat: ChatApp) -> None:
    alice, bob = user, create_user()
    await sign_up(alice, 'alice', display_name='Alice A.')
    await sign_up(bob, 'bob')
    for person in (alice, bob):  # sign-up lands on the inbox; friends and search are one link away
        await person.should_see(marker='inbox')
        await person.open('/friends')
        await settle(person)

    await bob.should_see('No friends yet: search for people to add them.')
    bob.find(marker='search-input').type('ali')
    bob.find(marker='search-submit').click()
    await bob.should_see(marker='search-add-alice')
    bob.find(marker='search-add-alice').click()
    await bob.should_see(marker='search-requested-alice')
    await bob.should_see(marker='cancel-alice')

    await alice.should_see(marker='accept-bob')  # arrived without a reload
    alice.find(marker='accept-bob').click()
    await alice.should_see(marker='chat-bob')
    await bob.should_see(marker='chat-alice')  # bob's list updated live too
    await bob.should_see(marker='search-friends-alice')

    await alice.open('/chat/bob')
    await bob.open('/chat/alice')
    await alice.should_see(marker='message-input')
    await bob.should_see('No messages yet: say hello!')
    await send(alice, 'Hi Bob!')
    await wait_for_message(alice, 'Hi Bob!')
    await wait_for_message(bob, 'Hi Bob!')
    await send(bob, 'Hello Alice')
    await wait_for_message(alice, 'Hello Alice')
    await wait_for_message(bob, 'Hello Alice')
    for person in (alice, bob):
        assert message_texts(person) == ['Hi Bob!', 'Hello Alice']
