"""Notifications in the page: the unread total in the tab title and toasts for conversations I am not looking at,
on every signed-in page; nothing for my own messages, the open conversation or muted ones."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable

import pytest
from nicegui.elements.html import Html
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import conversations, groups, reads
from pages.inbox import notifier
from tests.factories import make_friends, make_group, make_user, open_chat, say
from tests.pages.helpers import look_at, signed_in

TOAST = re.compile(r'<a class="toast" href="(?P<path>[^"]*)" data-testid="toast">'
                   r'<span class="toast-name">(?P<name>.*?)</span><span class="toast-text">(?P<text>.*?)</span></a>')


def toasts(user: User) -> list[tuple[str, str, str]]:
    """(path, name, text) of each toast showing, as the browser draws them."""
    stacks = [element for element in user.client.elements.values()
              if 'toasts' in element._markers and isinstance(element, Html)]
    raw = ''.join(stack.content for stack in stacks)
    return [(html.unescape(m['path']), html.unescape(m['name']), html.unescape(m['text'])) for m in TOAST.finditer(raw)]


async def title_becomes(user: User, title: str, *, attempts: int = 100) -> None:
    for _ in range(attempts):
        if user.client.title == title:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'title is {user.client.title!r}, not {title!r}')


async def toasts_become(user: User, count: int, *, attempts: int = 100) -> list[tuple[str, str, str]]:
    for _ in range(attempts):
        if len(shown := toasts(user)) == count:
            return shown
        await asyncio.sleep(0.05)
    raise AssertionError(f'toasts: {toasts(user)}')


async def test_the_title_counts_unread_messages_live(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name) for name in ('alice', 'bob', 'carol'))
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'before the page')
    muted = make_group(chat.run, carol, [alice], title='Noisy')  # one unread: its "created" event
    await chat.run(groups.set_muted, actor_id=alice.id, conversation_id=muted.conversation_id, muted=True)
    await signed_in(user, 'alice', '/')
    await title_becomes(user, '(1) Chats · chatapp')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='one')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='two')
    await title_becomes(user, '(3) Chats · chatapp')
    await chat.run(conversations.send_message, actor_id=carol.id, conversation_id=muted.conversation_id, body='x')
    await asyncio.sleep(0.3)
    assert user.client.title == '(3) Chats · chatapp'  # muted: not counted
    await chat.run(reads.mark_read, actor_id=alice.id, conversation_id=with_bob, seq=3)  # read in another tab
    await title_becomes(user, 'Chats · chatapp')
    await chat.run(groups.set_muted, actor_id=alice.id, conversation_id=muted.conversation_id, muted=False)
    await title_becomes(user, '(2) Chats · chatapp')  # the group's two, counted again


async def test_a_toast_for_another_conversation_opens_it(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
    with_bob, with_carol = open_chat(chat.run, alice, bob), open_chat(chat.run, alice, carol)
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    await title_becomes(user, 'Bob · chatapp')
    payload = '<img src=x onerror=alert(1)> are you there?\nsecond line'
    await chat.run(conversations.send_message, actor_id=carol.id, conversation_id=with_carol, body=payload)
    (toast,) = await toasts_become(user, 1)
    assert toast == ('/chat/carol', 'Carol', '<img src=x onerror=alert(1)> are you there?')
    (stack,) = user.find(marker='toasts').elements
    assert '<img' not in stack.content  # literal text, never HTML
    await title_becomes(user, '(1) Bob · chatapp')

    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='in the open one')
    await chat.run(conversations.send_message, actor_id=alice.id, conversation_id=with_carol, body='mine')
    await asyncio.sleep(0.3)
    assert len(toasts(user)) == 1  # nothing for the conversation I look at, nothing for my own message
    # My message read carol's conversation; bob's stays unread until the view is seen (the simulation has no
    # visible tab), then it is read.
    await title_becomes(user, '(1) Bob · chatapp')
    await chat.run(reads.mark_read, actor_id=alice.id, conversation_id=with_bob, seq=1)
    await title_becomes(user, 'Bob · chatapp')


async def test_group_toasts_name_the_sender_and_muted_groups_stay_quiet(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
    loud = make_group(chat.run, bob, [alice, carol], title='Loud')
    quiet = make_group(chat.run, bob, [alice, carol], title='Quiet', befriend=False)
    await chat.run(groups.set_muted, actor_id=alice.id, conversation_id=quiet.conversation_id, muted=True)
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox')
    await chat.run(conversations.send_message, actor_id=carol.id, conversation_id=quiet.conversation_id, body='psst')
    await chat.run(conversations.send_message, actor_id=carol.id, conversation_id=loud.conversation_id, body='hey')
    (toast,) = await toasts_become(user, 1)
    assert toast == (f'/group/{loud.conversation_id}', 'Carol · Loud', 'hey')


async def test_toasts_and_the_count_reach_the_friends_and_settings_pages(user: User, create_user: Callable[[], User],
                                                                         chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)
    friends_tab, settings_tab = user, create_user()
    await signed_in(friends_tab, 'alice', '/friends')
    await signed_in(settings_tab, 'alice', '/settings')
    await title_becomes(friends_tab, 'Friends · chatapp')
    info = await chat.run(conversations.open_direct, actor_id=bob.id, peer_username='alice')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=info.conversation_id, body='yo')
    for tab, title in ((friends_tab, '(1) Friends · chatapp'), (settings_tab, '(1) Settings · chatapp')):
        await title_becomes(tab, title)
        assert await toasts_become(tab, 1) == [('/chat/bob', 'bob', 'yo')]


async def test_toasts_fade(user: User, chat: ChatApp, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    with_bob = open_chat(chat.run, alice, bob)
    monkeypatch.setattr(notifier, 'TOAST_SECONDS', 0.5)
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='soon gone')
    await toasts_become(user, 1)
    await toasts_become(user, 0)


async def test_the_open_conversation_counts_only_while_nobody_looks_at_it(user: User, chat: ChatApp,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """While I read the open conversation its messages never reach the title; once the tab is hidden they do (the
    page's slow re-check included), and reading them again clears the count."""
    monkeypatch.setattr(notifier, 'SETTLED_CHECK', 0.5)
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'before the page')
    await signed_in(user, 'alice', '/chat/bob')
    look_at(user)
    await title_becomes(user, 'bob · chatapp')  # read on sight
    for number in range(3):
        await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body=f'seen {number}')
        await asyncio.sleep(0.3)
        assert user.client.title == 'bob · chatapp'
    await asyncio.sleep(1)
    assert user.client.title == 'bob · chatapp'

    look_at(user, visible=False)
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='while away')
    await title_becomes(user, '(1) bob · chatapp')
    look_at(user)
    await title_becomes(user, 'bob · chatapp')
