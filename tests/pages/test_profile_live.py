"""A new display name or profile picture reaches the open pages of the people who see the person, live: a friend's
inbox rows, chat header and group messages, a fellow group member's messages and members dialog, the person's own
page header, a friend's friends list and toasts; and a page that missed the event shows the change after a resync."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest
from nicegui import ui
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.files import avatars
from chatapp.schemas import MessageData, UserPublic
from chatapp.services import conversations, profiles
from pages.inbox.notifier import Facts, Notifier
from tests.factories import make_friends, make_group, make_user, open_chat, say
from tests.pages.helpers import blocks_html, bubbles, eventually, signed_in
from tests.pages.test_avatars import _photo
from tests.pages.test_inbox import inbox_html
from tests.pages.test_notifications import toasts


def row_html(tab: User, conversation_id: int) -> str:
    """The inbox row of ``conversation_id`` on ``tab`` ('' while it is not shown)."""
    found = re.search(rf'<a [^>]*data-conversation="{conversation_id}"[^>]*>.*?</a>', inbox_html(tab), re.S)
    return found.group(0) if found else ''


def html_marked(tab: User, testid: str) -> str:
    """The content of the ``Html`` elements holding ``testid`` (the chat header, the page header)."""
    return ''.join(str(getattr(element, 'content', '')) for element in tab.client.elements.values()
                   if f'data-testid="{testid}"' in str(getattr(element, 'content', '')))


def member_labels(tab: User, username: str) -> list[str]:
    (opener,) = tab.find(marker=f'member-profile-{username}').elements
    return [element.text for element in opener.descendants() if isinstance(element, ui.label)]


def member_pictures(tab: User, username: str) -> list[str]:
    (opener,) = tab.find(marker=f'member-profile-{username}').elements
    return [element.props['src'] for element in opener.descendants() if 'avatar-img' in element._markers]


def _people(chat: ChatApp) -> tuple[UserPublic, UserPublic, UserPublic, int, int]:
    """alice and bob, friends with a direct chat; a group of alice's with both and carol (not bob's friend)."""
    alice, bob, carol = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob'), \
        make_user(chat.run, 'carol')
    direct = open_chat(chat.run, alice, bob)
    say(chat.run, bob, direct, 'hi alice')
    make_friends(chat.run, alice, carol)
    group = make_group(chat.run, alice, [bob, carol], befriend=False).conversation_id
    say(chat.run, bob, group, 'hi team')
    return alice, bob, carol, direct, group


async def test_a_new_name_and_picture_reach_friends_and_fellow_members_live(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    _, _, _, direct, group = _people(chat)
    alice_direct, alice_group, carol, bob = user, create_user(), create_user(), create_user()
    await signed_in(alice_direct, 'alice', '/chat/bob')
    await signed_in(alice_group, 'alice', f'/group/{group}')
    await signed_in(carol, 'carol', f'/group/{group}')
    carol.find(marker='members-button').click()
    await carol.should_see(marker='member-profile-bob')
    await signed_in(bob, 'bob', '/settings')
    await eventually(lambda: 'Bob: hi team' in row_html(alice_group, group), 'the group row shows bob')
    assert ('hi team', 'Bob', True) in bubbles(alice_group)
    assert '>Bob<' in row_html(alice_direct, direct) and '>Bob<' in html_marked(alice_direct, 'chat-title')

    bob.find(marker='profile-name').clear().type('Bobby B.')
    bob.find(marker='profile-save').click()
    await eventually(lambda: '>Bobby B.<' in row_html(alice_direct, direct), "the direct chat's row title")
    await eventually(lambda: '>Bobby B.<' in html_marked(alice_direct, 'chat-title'), 'the chat header')
    await eventually(lambda: 'Bobby B.: hi team' in row_html(alice_group, group), "the group row's last line")
    for tab in (alice_group, carol):  # carol is not bob's friend: she hears it as a member of the group
        await eventually(lambda tab=tab: ('hi team', 'Bobby B.', True) in bubbles(tab), 'the name above his message')
    await eventually(lambda: member_labels(carol, 'bob') == ['B', 'Bobby B.'], "carol's open members dialog")
    await eventually(lambda: '>Bobby B.<' in html_marked(bob, 'whoami-name'), "bob's own page header")

    (uploader,) = bob.find(marker='avatar-uploader').elements
    response = await bob.http_client.post(uploader.props['url'], content=_photo())
    assert response.status_code == 200, response.text
    picture = str(response.json()['avatar'])
    small = f'src="{avatars.url(picture, 48)}"'
    await eventually(lambda: small in row_html(alice_direct, direct), "the direct chat's row picture")
    await eventually(lambda: small in html_marked(alice_direct, 'chat-title'), 'the chat header picture')
    for tab in (alice_group, carol):
        await eventually(lambda tab=tab: f'/avatars/{picture}-' in blocks_html(tab), 'the picture beside his name')
    await eventually(lambda: member_pictures(carol, 'bob') == [avatars.url(picture, 48)], 'the members dialog')
    await eventually(lambda: small in html_marked(bob, 'whoami-name'), "bob's own page header")

    await bob.should_see(marker='avatar-remove')
    bob.find(marker='avatar-remove').click()
    await eventually(lambda: 'avatar-img' not in row_html(alice_direct, direct), 'initials in the row again')
    await eventually(lambda: picture not in html_marked(alice_direct, 'chat-title'), 'initials in the header again')
    for tab in (alice_group, carol):
        await eventually(lambda tab=tab: picture not in blocks_html(tab), 'no picture beside his name')
        assert ('hi team', 'Bobby B.', True) in bubbles(tab)
    await eventually(lambda: member_pictures(carol, 'bob') == [], 'the members dialog shows his initial')
    await eventually(lambda: picture not in html_marked(bob, 'whoami-name'), "bob's own page header")


async def test_a_friends_new_name_shows_in_my_open_friends_list(user: User, chat: ChatApp) -> None:
    _, bob, _, _, _ = _people(chat)
    await signed_in(user, 'alice', '/friends')
    await user.should_see(marker='friend-bob')
    await user.should_see('Bob')
    await chat.run(profiles.update_profile, actor_id=bob.id, display_name='Bobby B.', about='')
    await user.should_see('Bobby B.')
    await chat.run(profiles.set_avatar, actor_id=bob.id, avatar='c' * 64)
    await eventually(lambda: [element.props.get('src') for element in user.client.elements.values()
                              if 'avatar-img' in element._markers] == [avatars.url('c' * 64, 48)], 'his picture')


async def test_a_page_that_missed_the_event_shows_the_change_after_a_resync(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    alice, bob, _, direct, group = _people(chat)
    alice_direct, alice_group = user, create_user()
    await signed_in(alice_direct, 'alice', '/chat/bob')
    await signed_in(alice_group, 'alice', f'/group/{group}')
    await eventually(lambda: 'Bob: hi team' in row_html(alice_group, group), 'the group row shows bob')

    # Stored, but the events are never published: as when the broker lost them. A picture alone first.
    chat.run.run_sync(profiles.set_avatar, actor_id=bob.id, avatar='c' * 64)
    await asyncio.sleep(0.3)
    assert 'avatars/' not in blocks_html(alice_group) + html_marked(alice_direct, 'chat-title')
    await chat.hub.resync_all()  # what a reconnection to the broker, or of the page, does
    await eventually(lambda: avatars.url('c' * 64, 48) in html_marked(alice_direct, 'chat-title'), 'the header')
    await eventually(lambda: f'/avatars/{"c" * 64}-' in blocks_html(alice_group), 'the picture beside his name')
    await eventually(lambda: avatars.url('c' * 64, 48) in row_html(alice_direct, direct), 'the row picture')

    chat.run.run_sync(profiles.update_profile, actor_id=bob.id, display_name='Bobby B.', about='')
    chat.run.run_sync(profiles.update_profile, actor_id=alice.id, display_name='Alice A.', about='')
    await asyncio.sleep(0.3)
    assert ('hi team', 'Bob', True) in bubbles(alice_group) and '>Bob<' in html_marked(alice_direct, 'chat-title')
    await chat.hub.resync_all()
    await eventually(lambda: '>Bobby B.<' in row_html(alice_direct, direct), "the direct chat's row title")
    await eventually(lambda: '>Bobby B.<' in html_marked(alice_direct, 'chat-title'), 'the chat header')
    await eventually(lambda: 'Bobby B.: hi team' in row_html(alice_group, group), "the group row's last line")
    await eventually(lambda: ('hi team', 'Bobby B.', True) in bubbles(alice_group), 'the name above his message')
    for tab in (alice_direct, alice_group):
        await eventually(lambda tab=tab: '>Alice A.<' in html_marked(tab, 'whoami-name'), 'my own page header')


async def test_toasts_after_a_rename_say_the_new_name(user: User, chat: ChatApp) -> None:
    _, bob, _, direct, group = _people(chat)
    await signed_in(user, 'alice', '/')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=direct, body='one')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=group, body='two')
    await eventually(lambda: [name for _, name, _ in toasts(user)] == ['Bob', 'Bob · Team'], 'toasts name bob')
    await chat.run(profiles.update_profile, actor_id=bob.id, display_name='Bobby B.', about='')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=direct, body='three')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=group, body='four')
    await eventually(lambda: [name for _, name, _ in toasts(user)][-2:] == ['Bobby B.', 'Bobby B. · Team'],
                     'toasts say his new name')


async def test_toasts_keep_the_order_of_their_messages_when_a_read_is_slow(user: User, chat: ChatApp,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The first message's conversation is read slower than the second's: its toast still comes first."""
    _, bob, _, direct, group = _people(chat)
    learn = Notifier._learn

    async def slow_for_the_direct_chat(self: Notifier, conversation_id: int, message: MessageData) -> Facts | None:
        if conversation_id == direct:
            await asyncio.sleep(0.3)
        return await learn(self, conversation_id, message)

    monkeypatch.setattr(Notifier, '_learn', slow_for_the_direct_chat)
    await signed_in(user, 'alice', '/')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=direct, body='one')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=group, body='two')
    await eventually(lambda: len(toasts(user)) == 2, 'two toasts')
    assert [name for _, name, _ in toasts(user)] == ['Bob', 'Bob · Team']
