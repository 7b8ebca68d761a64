"""Edit, delete, react and reply in the chat page, live in every open view and caught up after missed events; the
``?at=`` jump; and clicks a hostile socket makes up."""

from __future__ import annotations

import re
from collections.abc import Callable

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.schemas import UserPublic
from chatapp.services import conversations, message_changes, profiles
from tests.factories import make_friends, make_user
from tests.pages.helpers import blocks_html, eventually, message_texts, send, signed_in, wait_for_message


async def _pair(chat: ChatApp) -> tuple[UserPublic, UserPublic]:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob')
    make_friends(chat.run, alice, bob)
    return alice, bob


async def _both(user: User, create_user: Callable[[], User]) -> tuple[User, User]:
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/chat/bob')
    await signed_in(bob, 'bob', '/chat/alice')
    for tab in (alice, bob):
        await tab.should_see(marker='message-input')
    return alice, bob


def _target(tab: User) -> str | None:
    """The seq of the highlighted message (a jump's destination), if any."""
    match = re.search(r'data-seq="(\d+)"[^>]*data-target="1"', blocks_html(tab))
    return match.group(1) if match else None


def _click(tab: User, act: str, seq: int, emoji: str = '') -> None:
    """What the browser sends for a click on a button inside the messages (see ``pages.chat.messages``)."""
    tab.find(marker='message-list').trigger('click', {'act': act, 'seq': seq, 'emoji': emoji})


async def test_an_edit_reaches_the_other_person_live(user: User, create_user: Callable[[], User],
                                                     chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'see you at 7')
    await wait_for_message(bob, 'see you at 7')

    _click(alice, 'menu', 1)
    await alice.should_see(marker='message-actions-dialog')
    alice.find(marker='edit').click()
    await alice.should_see(marker='edit-dialog')
    alice.find(marker='edit-input').clear().type('see you at 8')
    alice.find(marker='edit-save').click()

    await wait_for_message(bob, 'see you at 8')
    assert message_texts(bob) == ['see you at 8']
    await eventually(lambda: 'data-testid="edited"' in blocks_html(bob), 'marked as edited')


async def test_a_refused_edit_says_why_in_the_dialog(user: User, create_user: Callable[[], User],
                                                    chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'keep me')
    await wait_for_message(alice, 'keep me')
    _click(alice, 'menu', 1)
    alice.find(marker='edit').click()
    await alice.should_see(marker='edit-dialog')
    alice.find(marker='edit-input').clear().type('   ')
    alice.find(marker='edit-save').click()
    await alice.should_see(conversations.problem_message('blank'))
    assert message_texts(bob) == ['keep me']


async def test_deleting_shows_the_note_everywhere_and_only_my_messages_offer_it(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'regret this')
    await wait_for_message(bob, 'regret this')

    _click(bob, 'menu', 1)  # not bob's: he may react and reply, not edit or delete
    await bob.should_see(marker='message-actions-dialog')
    await bob.should_see(marker='reply')
    await bob.should_not_see(marker='edit')
    await bob.should_not_see(marker='delete')

    _click(alice, 'menu', 1)
    await alice.should_see(marker='message-actions-dialog')
    alice.find(marker='delete').click()
    await alice.should_see(marker='delete-dialog')
    alice.find(marker='delete-confirm').click()
    for tab in (alice, bob):
        await wait_for_message(tab, 'This message was deleted')
        assert 'regret this' not in blocks_html(tab)
        assert 'data-act="menu"' not in blocks_html(tab)  # a deleted message offers nothing


async def test_a_reaction_shows_on_both_sides_and_toggles_off(user: User, create_user: Callable[[], User],
                                                             chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'pizza?')
    await wait_for_message(bob, 'pizza?')

    _click(bob, 'react', 1, '👍')
    for tab in (alice, bob):
        await eventually(lambda tab=tab: 'data-emoji="👍" data-count="1"' in blocks_html(tab), 'a thumb')
    assert 'aria-pressed="true" title="You"' in blocks_html(bob)
    assert 'aria-pressed="false" title="Bob"' in blocks_html(alice)

    _click(bob, 'react', 1, '👍')
    for tab in (alice, bob):
        await eventually(lambda tab=tab: 'data-emoji="👍"' not in blocks_html(tab), 'the thumb taken back')


async def test_a_reply_quotes_the_message_and_a_click_on_the_quote_finds_it(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'which film?\nany ideas')
    await wait_for_message(bob, 'which film?\nany ideas')

    _click(bob, 'menu', 1)
    bob.find(marker='reply').click()
    await bob.should_see(marker='reply-bar')
    await bob.should_see('Replying to alice: which film?')
    await send(bob, 'the new one')
    for tab, quoted in ((alice, 'You'), (bob, 'alice')):
        await wait_for_message(tab, 'the new one')
        await eventually(lambda tab=tab, quoted=quoted: f'data-who="{quoted}" data-excerpt="which film?"'
                         in blocks_html(tab), 'the quote')
    await bob.should_not_see(marker='reply-bar')  # one send answers it

    _click(alice, 'quote', 2)
    await eventually(lambda: _target(alice) == '1', 'the quoted message highlighted')


async def test_changes_missed_while_away_are_caught_up_once(user: User, create_user: Callable[[], User],
                                                           chat: ChatApp) -> None:
    alice_data, _ = await _pair(chat)
    alice, bob = await _both(user, create_user)
    for text in ('one', 'two', 'three'):
        await send(alice, text)
    await wait_for_message(bob, 'three')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice_data.id, peer_username='bob')
    cid = info.conversation_id
    # Stored without publishing: as if the broker lost these events while bob's socket was away.
    chat.run.run_sync(message_changes.edit_message, actor_id=alice_data.id, conversation_id=cid, seq=1, body='uno')
    chat.run.run_sync(message_changes.delete_message, actor_id=alice_data.id, conversation_id=cid, seq=2)
    await chat.hub.resync_all()  # what a reconnect or the Redis broker's recovery triggers
    await eventually(lambda: message_texts(bob) == ['uno', 'This message was deleted', 'three'], 'caught up')

    # A change published after one that was lost (to another message): the gap is noticed and read from the
    # database.
    chat.run.run_sync(message_changes.toggle_reaction, actor_id=alice_data.id, conversation_id=cid, seq=1,
                      emoji='😮')
    await chat.run(message_changes.edit_message, actor_id=alice_data.id, conversation_id=cid, seq=3, body='tres')
    await eventually(lambda: message_texts(bob) == ['uno', 'This message was deleted', 'tres']
                     and 'data-emoji="😮" data-count="1"' in blocks_html(bob), 'the gap filled')
    assert blocks_html(bob).count('data-emoji="😮"') == 1


async def test_opening_at_a_message_shows_the_page_that_starts_there(user: User, chat: ChatApp) -> None:
    alice_data, _ = await _pair(chat)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice_data.id, peer_username='bob')
    for n in range(1, 121):
        chat.run.run_sync(conversations.send_message, actor_id=alice_data.id, conversation_id=info.conversation_id,
                          body=f'n{n}')
    await signed_in(user, 'bob', '/chat/alice?at=7')
    await wait_for_message(user, 'n7')
    texts = message_texts(user)
    assert texts[0] == 'n7' and 'n120' not in texts
    assert _target(user) == '7'
    await user.should_see(marker='jump-latest')


async def test_made_up_clicks_change_nothing(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = await _both(user, create_user)
    await send(alice, 'steady')
    await wait_for_message(bob, 'steady')
    for args in ({'act': 'react', 'seq': 1, 'emoji': '💣'}, {'act': 'drop_table', 'seq': 1, 'emoji': ''},
                 {'act': 'react', 'seq': '1', 'emoji': '👍'}, {'act': 'react', 'seq': True, 'emoji': '👍'},
                 {'act': 'react', 'seq': 10**30, 'emoji': '👍'}, {'act': 'menu', 'seq': -1, 'emoji': ''}, [1, 2], 'x'):
        bob.find(marker='message-list').trigger('click', args)
    await send(bob, 'after the noise')
    await wait_for_message(alice, 'after the noise')
    assert 'data-emoji' not in blocks_html(alice) and 'data-emoji' not in blocks_html(bob)
    await bob.should_not_see(marker='message-actions-dialog')


async def test_the_header_opens_the_other_persons_card_and_a_block_closes_the_chat(user: User, chat: ChatApp) -> None:
    _, bob = await _pair(chat)
    chat.run.run_sync(profiles.update_profile, actor_id=bob.id, display_name='Bob', about='Climbing on Sundays')
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    user.find(marker='peer-profile').click()
    await user.should_see(marker='profile-card')
    await user.should_see('Climbing on Sundays')
    user.find(marker='profile-card-block').click()
    await user.should_see(marker='conversation-closed')
