"""Profiles as people use them: editing mine in settings, and opening someone's card from the friends page."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.schemas import Relation
from chatapp.services import blocking, friendships, profiles
from models.user import ABOUT_MAX
from tests.factories import make_friends, make_user
from tests.pages.helpers import settle, signed_in


async def test_i_edit_my_name_and_about_line_in_settings(user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/settings')
    user.find(marker='profile-name').clear().type('Alice Liddell')
    user.find(marker='profile-about').clear().type('x' * (ABOUT_MAX + 1))
    user.find(marker='profile-save').click()
    await user.should_see(marker='profile-error', content=f'at most {ABOUT_MAX} characters')
    card = await chat.run(profiles.my_profile, actor_id=alice.id)
    assert (card.user.display_name, card.about) == ('', '')  # a refusal stores neither field

    user.find(marker='profile-about').clear().type('Down the rabbit hole')
    user.find(marker='profile-save').click()
    await user.should_see(marker='profile-saved', content='Profile saved.')
    await user.should_not_see(marker='profile-error', content='at most')
    card = await chat.run(profiles.my_profile, actor_id=alice.id)
    assert (card.user.display_name, card.about) == ('Alice Liddell', 'Down the rabbit hole')
    await user.open('/settings')  # shown again on the next visit, and in the header
    await user.should_see('Alice Liddell')
    await user.should_see(marker='whoami')


async def test_a_click_on_a_person_opens_their_card_with_the_fitting_action(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob B.')
    erin = make_user(chat.run, 'erin')
    make_friends(chat.run, alice, bob)
    chat.run.run_sync(profiles.update_profile, actor_id=bob.id, display_name='Bob B.', about='I like trains')
    await signed_in(user, 'alice', '/friends')

    user.find(marker='profile-bob').click()
    await user.should_see(marker='profile-card')
    await user.should_see(marker='profile-card-about', content='I like trains')
    await user.should_see(marker='profile-card-chat')
    await user.should_not_see(marker='profile-card-add')
    user.find(marker='profile-card-chat').click()
    await user.should_see(marker='message-input', retries=50)  # the chat with bob

    await user.open('/friends')
    await settle(user)
    user.find(marker='search-input').type('erin')
    user.find(marker='search-submit').click()
    await user.should_see(marker='person-erin')
    user.find(marker='profile-erin').click()  # a stranger found by search: opened by username
    await user.should_see(marker='profile-card-add')
    user.find(marker='profile-card-add').click()
    await user.should_see(marker='cancel-erin')  # the lists show the request
    relation = await chat.run(friendships.relation, actor_id=alice.id, other_id=erin.id)
    assert relation == Relation.REQUESTED


async def test_block_from_the_card_and_unblock_in_settings(user: User, create_user: Callable[[], User],
                                                           chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)
    other = create_user()
    await signed_in(other, 'bob', '/friends')
    await other.should_see(marker='friend-alice')
    await signed_in(user, 'alice', '/friends')

    user.find(marker='profile-bob').click()
    await user.should_see(marker='profile-card-block')
    user.find(marker='profile-card-block').click()
    await user.should_not_see(marker='friend-bob')
    await other.should_not_see(marker='friend-alice')  # bob's page updates as for an unfriend
    assert await chat.run(blocking.blocked_ids, actor_id=alice.id) == [bob.id]

    await user.open('/settings')
    await user.should_see(marker='blocked-bob')
    user.find(marker='unblock-bob').click()
    await user.should_see(marker='blocked-none')
    assert await chat.run(blocking.blocked_ids, actor_id=alice.id) == []
