"""The conversation view as people use it: groups, timeline events, runs of bubbles, reads and receipts, typing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from nicegui import ui
from nicegui.testing import User

from chatapp import read_marker
from chatapp.app import ChatApp
from chatapp.schemas import ChatInfo, UserPublic
from chatapp.services import conversations, privacy
from pages.chat import view as chat_view
from pages.chat.window import LIVE_BLOCK_MESSAGES
from tests.factories import make_friends, make_group, make_user, say
from tests.pages.helpers import (
    blocks_html,
    bubbles,
    eventually,
    look_at,
    message_texts,
    receipt_lines,
    send,
    settle,
    signed_in,
    timeline_lines,
    wait_for_message,
)


def _people(chat: ChatApp, *names: str) -> list[UserPublic]:
    return [make_user(chat.run, name) for name in names]


def _group(chat: ChatApp, creator: UserPublic, members: list[UserPublic], title: str = 'Team') -> ChatInfo:
    return make_group(chat.run, creator, members, title=title)


def _read_seq(chat: ChatApp, person: UserPublic, conversation_id: int) -> int:
    info, _ = chat.run.run_sync(conversations.open_conversation, actor_id=person.id, conversation_id=conversation_id)
    return info.read_seq


async def _open(tab: User, name: str, path: str) -> None:
    await signed_in(tab, name, path)
    await tab.should_see(marker='message-input', retries=30)
    await settle(tab)


async def test_three_people_talk_then_one_is_removed_and_one_leaves(user: User, create_user: Callable[[], User],
                                                                    chat: ChatApp) -> None:
    alice_data, bob_data, carol_data = _people(chat, 'alice', 'bob', 'carol')
    info = _group(chat, alice_data, [bob_data, carol_data])
    path = f'/group/{info.conversation_id}'
    alice, bob, carol = user, create_user(), create_user()
    for tab, name in ((alice, 'alice'), (bob, 'bob'), (carol, 'carol')):
        await _open(tab, name, path)
    await alice.should_see('3 members')
    assert timeline_lines(alice) == ['You created the group “Team”']
    assert timeline_lines(bob) == ['alice created the group “Team”']
    for tab, text in ((alice, 'hello team'), (bob, 'hi alice'), (carol, 'hey')):
        await send(tab, text)
        await wait_for_message(tab, text)
    for tab in (alice, bob, carol):
        await wait_for_message(tab, 'hey')
        assert message_texts(tab) == ['hello team', 'hi alice', 'hey']

    alice.find(marker='members-button').click()  # alice, the admin, removes carol in the members dialog
    await alice.should_see(marker='members-dialog')
    await alice.should_see(marker='admin-badge')
    alice.find(marker='remove-carol').click()
    await carol.should_see('You were removed from this group.')
    await carol.should_not_see(marker='message-input')
    await eventually(lambda: 'You removed carol' in timeline_lines(alice), 'alice sees the removal')
    await eventually(lambda: 'alice removed carol' in timeline_lines(bob), 'bob sees the removal')
    await bob.should_see('2 members')

    bob.find(marker='members-button').click()  # bob leaves through the same dialog
    await bob.should_see(marker='leave-group')
    bob.find(marker='leave-group').click()
    await bob.should_see('You left this group.')
    await bob.should_not_see(marker='message-input')
    await eventually(lambda: 'bob left' in timeline_lines(alice), 'alice sees bob leave')
    await alice.should_see('1 member')
    await send(alice, 'alone now')
    await wait_for_message(alice, 'alone now')
    assert 'alone now' not in message_texts(bob) and 'alone now' not in message_texts(carol)


async def test_an_admin_renames_the_group_and_a_bad_name_is_refused(user: User, create_user: Callable[[], User],
                                                                   chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    path = f'/group/{info.conversation_id}'
    alice, bob = user, create_user()
    await _open(alice, 'alice', path)
    await _open(bob, 'bob', path)
    alice.find(marker='members-button').click()
    await alice.should_see(marker='rename-input')
    alice.find(marker='rename-input').clear().type('x' * 65)
    alice.find(marker='rename-save').click()
    await alice.should_see('64')  # the service's message says how long a name may be
    await alice.should_see(marker='members-note')
    await alice.should_see('Team')
    alice.find(marker='rename-input').clear().type('  Climbers  ')
    alice.find(marker='rename-save').click()
    await eventually(lambda: 'alice renamed the group to “Climbers”' in timeline_lines(bob), 'bob sees the rename')
    await bob.should_see('Climbers')
    bob.find(marker='members-button').click()  # bob is no admin: no renaming, no removing
    await bob.should_see(marker='leave-group')
    await bob.should_not_see(marker='rename-input')
    await bob.should_not_see(marker='remove-alice')


async def test_a_member_adds_a_friend_who_sees_from_the_join_on(user: User, create_user: Callable[[], User],
                                                               chat: ChatApp) -> None:
    alice_data, bob_data, dave_data = _people(chat, 'alice', 'bob', 'dave')
    info = _group(chat, alice_data, [bob_data])
    make_friends(chat.run, bob_data, dave_data)
    say(chat.run, alice_data, info.conversation_id, 'before dave')
    path = f'/group/{info.conversation_id}'
    bob = user
    await _open(bob, 'bob', path)
    bob.find(marker='members-button').click()
    await bob.should_see(marker='add-friends')
    bob.find(marker='add-friends').click()
    await bob.should_see(marker='addable-dave')
    bob.find(marker='addable-dave').click()
    bob.find(marker='add-selected').click()
    await eventually(lambda: 'You added dave' in timeline_lines(bob), 'bob sees the addition')
    dave = create_user()
    await _open(dave, 'dave', path)
    assert timeline_lines(dave) == ['bob added you']
    assert message_texts(dave) == []  # nothing from before the join


async def test_runs_of_one_sender_show_the_name_once_and_the_time_on_the_last(user: User,
                                                                             create_user: Callable[[], User],
                                                                             chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    path = f'/group/{info.conversation_id}'
    alice, bob = user, create_user()
    await _open(alice, 'alice', path)
    await _open(bob, 'bob', path)
    run = [f'a{n}' for n in range(LIVE_BLOCK_MESSAGES + 2)]  # long enough to start a second live block
    for text in run:
        await send(alice, text)
    await wait_for_message(bob, run[-1])
    await send(bob, 'b1')
    await wait_for_message(alice, 'b1')
    await send(alice, 'a again')
    await wait_for_message(bob, 'a again')
    shown = bubbles(bob)
    assert shown[0] == ('a0', 'alice', False)
    assert all(name is None and not stamped for _, name, stamped in shown[1:len(run) - 1])  # across the block edge
    assert shown[len(run) - 1] == (run[-1], None, True)
    assert shown[len(run)] == ('b1', 'You', True)
    assert shown[len(run) + 1] == ('a again', 'alice', True)
    assert len(bob.find(marker='message-block').elements) >= 2


async def test_in_a_direct_chat_my_side_shows_no_name(user: User, create_user: Callable[[], User],
                                                      chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _open(alice, 'alice', '/chat/bob')
    await _open(bob, 'bob', '/chat/alice')
    await send(alice, 'one')
    await send(alice, 'two')
    await wait_for_message(bob, 'two')
    await send(bob, 'three')
    await wait_for_message(alice, 'three')
    assert bubbles(alice) == [('one', None, False), ('two', None, True), ('three', 'bob', True)]
    assert bubbles(bob) == [('one', 'alice', False), ('two', None, True), ('three', None, True)]


async def test_typing_is_shown_then_cleared(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    alice_data, bob_data, carol_data = _people(chat, 'alice', 'bob', 'carol')
    info = _group(chat, alice_data, [bob_data, carol_data])
    path = f'/group/{info.conversation_id}'
    alice, bob, carol = user, create_user(), create_user()
    for tab, name in ((alice, 'alice'), (bob, 'bob'), (carol, 'carol')):
        await _open(tab, name, path)
    bob.find(marker='message-input').trigger('input', True)  # what the box emits when bob starts typing
    await alice.should_see('bob is typing…')
    carol.find(marker='message-input').trigger('input', True)
    await alice.should_see('bob and carol are typing…')
    await bob.should_see('carol is typing…')
    bob.find(marker='message-input').trigger('input', False)  # bob emptied the box
    await alice.should_see('carol is typing…')
    await alice.should_not_see('bob and carol are typing…')
    await send(carol, 'done typing')  # her message clears her line at once
    await wait_for_message(alice, 'done typing')
    # The inbox pane redraws at most every REDRAW_EVERY (0.25 s) while events stream in: longer than the 0.3 s that
    # should_not_see waits by default, when the message comes right after a redraw.
    await alice.should_not_see('typing…', retries=10)
    await bob.should_not_see('typing…', retries=10)


@pytest.fixture
def quick_fade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_view, 'FADE', 0.3)


async def test_typing_fades_when_no_more_signals_come(quick_fade: None, user: User, create_user: Callable[[], User],
                                                      chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _open(alice, 'alice', '/chat/bob')
    await _open(bob, 'bob', '/chat/alice')
    bob.find(marker='message-input').trigger('input', True)
    await alice.should_see('bob is typing…')
    await asyncio.sleep(0.5)
    await alice.should_not_see('bob is typing…')


async def test_seen_appears_in_a_direct_chat_when_the_other_opens_it(user: User, create_user: Callable[[], User],
                                                                     chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice = user
    await _open(alice, 'alice', '/chat/bob')
    await send(alice, 'did you see this?')
    await wait_for_message(alice, 'did you see this?')
    await asyncio.sleep(0.2)
    assert receipt_lines(alice) == []
    bob = create_user()
    await _open(bob, 'bob', '/chat/alice')
    await asyncio.sleep(0.2)
    assert receipt_lines(alice) == []  # open, but not looked at yet (a background tab)
    look_at(bob)
    await eventually(lambda: [line for line in receipt_lines(alice) if line.startswith('Seen ')] != [],
                     'Seen under alice\'s message')
    assert receipt_lines(bob) == []  # bob has no message of his own to be seen


async def test_a_message_from_the_other_also_says_they_read_mine(user: User, create_user: Callable[[], User],
                                                                chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _open(alice, 'alice', '/chat/bob')
    await _open(bob, 'bob', '/chat/alice')
    await send(alice, 'question')
    await wait_for_message(bob, 'question')
    await send(bob, 'answer')  # sent from a tab never looked at: sending reads what came before
    await eventually(lambda: len(receipt_lines(alice)) == 1, 'a receipt under the question')


async def test_without_read_receipts_nobody_sees_them_either_way(user: User, create_user: Callable[[], User],
                                                                chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    chat.run.run_sync(privacy.set_privacy, actor_id=alice_data.id, read_receipts=False)
    alice, bob = user, create_user()
    await _open(alice, 'alice', '/chat/bob')
    await _open(bob, 'bob', '/chat/alice')
    look_at(alice)
    look_at(bob)
    await send(alice, 'from alice')
    await wait_for_message(bob, 'from alice')
    await send(bob, 'from bob')
    await wait_for_message(alice, 'from bob')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice_data.id, peer_username='bob')
    await eventually(lambda: _read_seq(chat, alice_data, info.conversation_id) == 2, 'alice read bob\'s message')
    await asyncio.sleep(0.3)
    assert receipt_lines(alice) == [] and receipt_lines(bob) == []


async def test_a_group_says_how_many_have_seen_my_message_and_who(user: User, create_user: Callable[[], User],
                                                                 chat: ChatApp) -> None:
    alice_data, bob_data, carol_data = _people(chat, 'alice', 'bob', 'carol')
    info = _group(chat, alice_data, [bob_data, carol_data])
    path = f'/group/{info.conversation_id}'
    alice, bob, carol = user, create_user(), create_user()
    for tab, name in ((alice, 'alice'), (bob, 'bob'), (carol, 'carol')):
        await _open(tab, name, path)
    await send(alice, 'read me')
    await wait_for_message(carol, 'read me')
    look_at(bob)
    await eventually(lambda: receipt_lines(alice) == ['Seen by 1'], 'seen by bob')
    look_at(carol)
    await eventually(lambda: receipt_lines(alice) == ['Seen by 2'], 'seen by bob and carol')
    alice.find(marker='message-list').trigger('click', {'act': 'readers', 'seq': 0, 'emoji': ''})  # the one listener
    await alice.should_see(marker='readers-dialog')
    readers = alice.find(kind=ui.label, marker='reader').elements
    assert sorted(label.text for label in readers) == ['bob', 'carol']


async def test_reads_are_marked_only_while_the_tab_is_seen(user: User, chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    path = f'/group/{info.conversation_id}'
    bob = user
    await _open(bob, 'bob', path)
    start = _read_seq(chat, bob_data, info.conversation_id)
    sent = await chat.run(conversations.send_message, actor_id=alice_data.id, conversation_id=info.conversation_id,
                          body='while bob looks away')
    await wait_for_message(bob, 'while bob looks away')
    await asyncio.sleep(0.3)
    assert _read_seq(chat, bob_data, info.conversation_id) == start < sent.seq
    look_at(bob)
    await eventually(lambda: _read_seq(chat, bob_data, info.conversation_id) == sent.seq, 'read once seen')
    look_at(bob, visible=False)
    later = await chat.run(conversations.send_message, actor_id=alice_data.id, conversation_id=info.conversation_id,
                           body='hidden again')
    await wait_for_message(bob, 'hidden again')
    await asyncio.sleep(read_marker.EVERY + 0.3)
    assert _read_seq(chat, bob_data, info.conversation_id) == sent.seq
    look_at(bob)
    await eventually(lambda: _read_seq(chat, bob_data, info.conversation_id) == later.seq, 'read when back')


async def test_opening_shows_new_messages_and_jumps_to_the_first_unread(unlimited: None, user: User,
                                                                        chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    for n in range(3):
        say(chat.run, alice_data, info.conversation_id, f'early {n}')
    bob = user
    path = f'/group/{info.conversation_id}'
    await _open(bob, 'bob', path)
    assert blocks_html(bob).startswith('<div class="new-divider"')  # all unread, from the "created" event on
    look_at(bob)
    await eventually(lambda: _read_seq(chat, bob_data, info.conversation_id) == 4, 'all read')  # the event and 3
    for n in range(conversations.PAGE_SIZE + 20):
        say(chat.run, alice_data, info.conversation_id, f'late {n}')
    await bob.open(path)
    await bob.should_see(marker='jump-unread', retries=30)
    await bob.should_see(f'{conversations.PAGE_SIZE + 20} unread messages · jump to the first')
    assert 'late 0' not in message_texts(bob)
    bob.find(marker='jump-unread').click()
    await wait_for_message(bob, 'late 0')
    assert message_texts(bob)[0] == 'late 0'
    assert blocks_html(bob).startswith('<div class="new-divider"')
    await bob.should_see(marker='load-later')
    bob.find(marker='load-later').click()
    await wait_for_message(bob, f'late {conversations.PAGE_SIZE + 19}')
    await bob.should_not_see(marker='jump-latest')


@pytest.fixture
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('CHATAPP_LIMIT_MESSAGES', 'off')
    monkeypatch.setenv('CHATAPP_LIMIT_MESSAGES_PER_ADDRESS', 'off')


async def test_two_tabs_of_one_browser_as_two_members_of_one_group(user: User, chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    path = f'/group/{info.conversation_id}'
    alice_tab, bob_tab = user, User(user.http_client)  # one browser, one account per tab
    await _open(alice_tab, 'alice', path)
    await _open(bob_tab, 'bob', path)
    await send(alice_tab, 'from the first tab')
    await wait_for_message(bob_tab, 'from the first tab')
    await send(bob_tab, 'from the second tab')
    await wait_for_message(alice_tab, 'from the second tab')
    assert bubbles(alice_tab)[-1] == ('from the second tab', 'bob', True)
    assert bubbles(bob_tab)[-1] == ('from the second tab', 'You', True)


async def test_new_messages_are_announced_politely(user: User, create_user: Callable[[], User],
                                                   chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _open(alice, 'alice', '/chat/bob')
    await _open(bob, 'bob', '/chat/alice')
    (region,) = bob.find(kind=ui.label, marker='live-region').elements
    assert region.props['aria-live'] == 'polite'
    await send(alice, 'knock knock')
    await wait_for_message(bob, 'knock knock')
    await eventually(lambda: region.text == 'alice: knock knock', 'the live region reads the message')


async def test_muting_from_the_header(user: User, chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    info = _group(chat, alice_data, [bob_data])
    await _open(user, 'alice', f'/group/{info.conversation_id}')
    (button,) = user.find(marker='mute-toggle').elements
    assert button.props['aria-pressed'] == 'false'
    user.find(marker='mute-toggle').click()
    await eventually(lambda: button.props['aria-pressed'] == 'true', 'shown as muted')
    opened, _ = chat.run.run_sync(conversations.open_conversation, actor_id=alice_data.id,
                                  conversation_id=info.conversation_id)
    assert opened.muted


async def test_presence_of_the_other_person_shows_in_a_direct_chat(user: User, create_user: Callable[[], User],
                                                                   chat: ChatApp) -> None:
    alice_data, bob_data = _people(chat, 'alice', 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _open(bob, 'bob', '/chat/alice')
    await _open(alice, 'alice', '/chat/bob')
    await alice.should_see('@bob · online', retries=50)
