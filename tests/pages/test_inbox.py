"""The inbox: rows that move live between people, badges, the filter, "Load more", the new chat and new group
dialogs, and the conversation routes (bad group ids get the same card as a conversation I may not open)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from nicegui.elements.html import Html
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import conversations, groups, reads
from pages.inbox import listing
from pages.inbox import view as inbox_view
from tests.factories import make_friends, make_group, make_user, open_chat, say
from tests.pages.helpers import signed_in

ROW = re.compile(r'<a class="(?P<classes>[^"]*)" href="(?P<path>[^"]*)" data-testid="inbox-row" '
                 r'data-conversation="(?P<id>\d+)" data-unread="(?P<unread>\d+)".*?'
                 r'<span class="inbox-name">(?P<name>.*?)</span>.*?<span class="inbox-last[^"]*">(?P<last>.*?)</span>',
                 re.S)


@dataclass(frozen=True)
class Row:
    name: str
    path: str
    unread: int
    last: str
    active: bool


def inbox_rows(user: User) -> list[Row]:
    """The rows the person's inbox shows, top to bottom: the blocks in the order they were made (the view only ever
    adds blocks at the end and removes them from the end), each read as the browser would draw it."""
    return [Row(name=html.unescape(m['name']), path=html.unescape(m['path']), unread=int(m['unread']),
                last=html.unescape(m['last']), active='inbox-row--active' in m['classes'])
            for m in ROW.finditer(inbox_html(user))]


def inbox_html(user: User) -> str:
    blocks = [element for element in user.client.elements.values()
              if 'inbox-block' in element._markers and isinstance(element, Html)]
    return ''.join(block.content for block in sorted(blocks, key=lambda block: block.id))


async def rows_become(user: User, check: Callable[[list[Row]], bool], *, attempts: int = 100) -> list[Row]:
    """Wait until the inbox's rows pass ``check``."""
    rows: list[Row] = []
    for _ in range(attempts):
        rows = inbox_rows(user)
        if check(rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f'inbox rows never passed the check: {rows}')


def names(rows: list[Row]) -> list[str]:
    return [row.name for row in rows]


async def test_rows_move_and_badges_count_live_between_people(user: User, create_user: Callable[[], User],
                                                              chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
    with_bob, with_carol = open_chat(chat.run, alice, bob), open_chat(chat.run, alice, carol)
    say(chat.run, bob, with_bob, 'hi from bob')
    say(chat.run, carol, with_carol, 'hi from carol')
    alice_tab = user
    await signed_in(alice_tab, 'alice', '/')
    rows = await rows_become(alice_tab, lambda rows: len(rows) == 2)
    assert names(rows) == ['Carol', 'Bob']
    assert [row.unread for row in rows] == [1, 1]
    assert rows[0].last == 'hi from carol' and rows[0].path == '/chat/carol'

    bob_tab = create_user()
    await signed_in(bob_tab, 'bob', '/')
    await rows_become(bob_tab, lambda rows: names(rows) == ['Alice'] and rows[0].last == 'You: hi from bob')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='again\nsecond line')
    rows = await rows_become(alice_tab, lambda rows: names(rows) == ['Bob', 'Carol'])
    assert rows[0].unread == 2 and rows[0].last == 'again'  # one line
    await rows_become(bob_tab, lambda rows: rows[0].last == 'You: again' and rows[0].unread == 0)

    await chat.run(reads.mark_read, actor_id=alice.id, conversation_id=with_bob, seq=2)  # alice reads elsewhere
    rows = await rows_become(alice_tab, lambda rows: rows[0].unread == 0)
    assert rows[1].unread == 1
    await chat.run(conversations.send_message, actor_id=alice.id, conversation_id=with_carol, body='<b>hey</b>')
    rows = await rows_become(alice_tab, lambda rows: names(rows) == ['Carol', 'Bob'])
    assert rows[0].unread == 0 and rows[0].last == 'You: <b>hey</b>'  # my message reads the conversation
    shown = inbox_html(alice_tab)
    assert '&lt;b&gt;hey&lt;/b&gt;' in shown and '<b>hey' not in shown


async def test_a_burst_of_messages_redraws_the_list_once_at_once_and_once_after(
        user: User, chat: ChatApp, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob')
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'hello')
    await signed_in(user, 'alice', '/')
    await rows_become(user, lambda rows: names(rows) == ['Bob'])
    monkeypatch.setattr(inbox_view, 'REDRAW_EVERY', 2.0)  # longer than the ten sends take
    await asyncio.sleep(2.0)  # a quiet spell
    drawn: list[str] = []
    render = inbox_view.InboxView.render

    def counted(view: inbox_view.InboxView) -> None:
        drawn.append(view.listing.rows[with_bob].text or '')
        render(view)

    monkeypatch.setattr(inbox_view.InboxView, 'render', counted)
    for n in range(10):
        await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body=f'burst {n}')
    rows = await rows_become(user, lambda rows: rows[0].last == 'burst 9')
    assert rows[0].unread == 11
    assert drawn == ['burst 0', 'burst 9']  # the first at once, the other nine together


async def test_the_open_conversation_is_highlighted_beside_the_list(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name) for name in ('alice', 'bob', 'carol'))
    say(chat.run, bob, open_chat(chat.run, alice, bob), 'one')
    say(chat.run, carol, open_chat(chat.run, alice, carol), 'two')
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    rows = await rows_become(user, lambda rows: len(rows) == 2)
    assert [(row.name, row.active) for row in rows] == [('carol', False), ('bob', True)]
    await user.should_not_see(marker='inbox-empty-state')


async def test_groups_show_the_sender_first_and_join_the_list_live(user: User, create_user: Callable[[], User],
                                                                   chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
    make_friends(chat.run, alice, bob)
    await signed_in(user, 'bob', '/')
    await user.should_see('No chats yet')
    make_friends(chat.run, alice, carol)
    group = await chat.run(groups.create_group, actor_id=alice.id, title='Hikers <3', member_ids=[bob.id, carol.id])
    rows = await rows_become(user, lambda rows: names(rows) == ['Hikers <3'])
    assert rows[0].path == f'/group/{group.conversation_id}'
    assert rows[0].unread == 1 and 'created' in rows[0].last  # the timeline event, as a sentence
    await chat.run(conversations.send_message, actor_id=carol.id, conversation_id=group.conversation_id, body='hey')
    rows = await rows_become(user, lambda rows: rows[0].last == 'Carol: hey')
    assert rows[0].unread == 2


async def test_the_filter_narrows_the_list(user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    for name, display in (('bob', 'Bob Stone'), ('carol', 'Carol King'), ('dave', 'Dave Kingsley')):
        say(chat.run, alice, open_chat(chat.run, alice, make_user(chat.run, name, display_name=display)), 'hi')
    await signed_in(user, 'alice', '/')
    await rows_become(user, lambda rows: len(rows) == 3)
    user.find(marker='inbox-filter').type('king')
    rows = await rows_become(user, lambda rows: len(rows) == 2)
    assert sorted(names(rows)) == ['Carol King', 'Dave Kingsley']
    user.find(marker='inbox-filter').clear().type('zzz')
    await user.should_see('No chats match “zzz”.')
    user.find(marker='inbox-filter').clear()
    await rows_become(user, lambda rows: len(rows) == 3)


async def test_fifty_first_then_load_more(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)
    for n in range(55):
        make_group(chat.run, bob, [alice], title=f'group {n:02d}', befriend=False)
    await signed_in(user, 'alice', '/')
    rows = await rows_become(user, lambda rows: len(rows) == 50)
    assert rows[0].name == 'group 54' and rows[-1].name == 'group 05'
    user.find(marker='inbox-more').click()
    rows = await rows_become(user, lambda rows: len(rows) == 55)
    assert names(rows) == [f'group {n:02d}' for n in range(54, -1, -1)]
    await user.should_not_see(marker='inbox-more')


async def test_new_chat_opens_the_conversation_with_a_friend(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bobby')
    make_user(chat.run, 'stranger')
    make_friends(chat.run, alice, bob)
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox-empty-state')
    user.find(marker='new-chat').click()
    await user.should_see(marker='new-chat-friend')
    (select,) = user.find(marker='new-chat-friend').elements
    assert list(select.options.values()) == ['Bobby (@bob)']  # friends only
    select.set_value('bob')
    user.find(marker='new-chat-open').click()
    await user.should_see(marker='message-input', retries=30)
    await rows_become(user, lambda rows: rows == [])  # no message yet: the chat joins the list once one is sent
    await user.should_not_see(marker='inbox-empty-state')


async def test_new_group_says_what_is_wrong_then_opens_the_group(user: User, create_user: Callable[[], User],
                                                                 chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)
    bob_tab = create_user()
    await signed_in(bob_tab, 'bob', '/')
    await bob_tab.should_see('No chats yet')
    await signed_in(user, 'alice', '/')
    user.find(marker='new-group').click()
    await user.should_see(marker='new-group-name')
    user.find(marker='new-group-name').type('   ')
    (members,) = user.find(marker='new-group-members').elements
    members.set_value([bob.id])
    user.find(marker='new-group-create').click()
    await user.should_see(marker='new-group-problem')
    (problem,) = user.find(marker='new-group-problem').elements
    assert problem.text  # the service's own words
    await user.should_see(marker='new-group-name')  # still open
    user.find(marker='new-group-name').clear().type('Weekend')
    user.find(marker='new-group-create').click()
    await user.should_see(marker='message-input', retries=30)
    rows = await rows_become(bob_tab, lambda rows: names(rows) == ['Weekend'])
    assert rows[0].path.startswith('/group/')
    await rows_become(user, lambda rows: names(rows) == ['Weekend'] and rows[0].active)


@pytest.mark.parametrize('path', ['/group/abc', '/group/999', '/group/-1', '/group/' + '9' * 40, '/group/1%20',
                                  '/chat/nobody'])
async def test_bad_conversation_paths_say_not_available(user: User, chat: ChatApp, path: str) -> None:
    make_user(chat.run, 'alice')
    await signed_in(user, 'alice', path)
    await user.should_see(marker='not-available')
    await user.should_see(conversations.NOT_AVAILABLE)
    await user.should_not_see(marker='message-input')
    await user.should_see(marker='inbox')  # the list is still there to go elsewhere


async def test_a_group_i_am_not_in_is_not_available(user: User, chat: ChatApp) -> None:
    alice, bob, mallory = make_user(chat.run, 'alice'), make_user(chat.run, 'bob'), make_user(chat.run, 'mallory')
    group = make_group(chat.run, alice, [bob])
    make_friends(chat.run, mallory, alice)  # a friend of a member is still no member
    await signed_in(user, 'mallory', f'/group/{group.conversation_id}')
    await user.should_see(marker='not-available')
    await user.should_not_see(marker='message-input')


async def test_anonymous_visitors_go_to_the_login_page(user: User, chat: ChatApp) -> None:
    for path in ('/', '/chat/bob', '/group/1', '/friends', '/settings'):
        await user.open(path)
        await user.should_see(marker='login-username')


async def test_typing_shows_in_the_row_until_the_message_comes(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'first')
    make_friends(chat.run, alice, carol)
    group = make_group(chat.run, alice, [bob, carol], title='Trio', befriend=False)
    await signed_in(user, 'alice', '/')
    await rows_become(user, lambda rows: names(rows) == ['Trio', 'Bob'])
    await chat.ephemeral.typing(actor_id=bob.id, conversation_id=with_bob, active=True)
    await chat.ephemeral.typing(actor_id=bob.id, conversation_id=group.conversation_id, active=True)
    await chat.ephemeral.typing(actor_id=carol.id, conversation_id=group.conversation_id, active=True)
    rows = await rows_become(user, lambda rows: rows[1].last == 'typing…' and 'are typing' in rows[0].last)
    assert rows[0].last == 'Bob and Carol are typing…'
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='second')
    rows = await rows_become(user, lambda rows: names(rows) == ['Bob', 'Trio'])
    assert rows[0].last == 'second'  # the typist's message ends the typing
    await chat.ephemeral.typing(actor_id=carol.id, conversation_id=group.conversation_id, active=False)
    await rows_become(user, lambda rows: rows[1].last == 'Bob is typing…')


async def test_a_direct_row_shows_when_the_friend_is_online(user: User, create_user: Callable[[], User],
                                                           chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name) for name in ('alice', 'bob', 'carol'))
    say(chat.run, bob, open_chat(chat.run, alice, bob), 'hi')
    say(chat.run, carol, open_chat(chat.run, alice, carol), 'hi')
    carol_tab = create_user()
    await signed_in(carol_tab, 'carol', '/')  # online before alice's page reads presence
    await signed_in(user, 'alice', '/')
    await rows_become(user, lambda rows: len(rows) == 2)
    await rows_become(user, lambda rows: _online(user) == {'carol'})
    bob_tab = create_user()
    await signed_in(bob_tab, 'bob', '/')  # comes online while alice looks
    await rows_become(user, lambda rows: _online(user) == {'bob', 'carol'})


def _online(user: User) -> set[str]:
    """Names of the rows that show the online dot."""
    return {html.unescape(m['name']) for m in ROW.finditer(inbox_html(user)) if 'inbox-dot' in m.group(0)}


async def test_typing_fades_by_itself(user: User, chat: ChatApp, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'first')
    monkeypatch.setattr(listing, 'TYPING_FADE', 0.4)
    await signed_in(user, 'alice', '/')
    await rows_become(user, lambda rows: len(rows) == 1)
    await chat.ephemeral.typing(actor_id=bob.id, conversation_id=with_bob, active=True)
    await rows_become(user, lambda rows: rows[0].last == 'typing…')
    await rows_become(user, lambda rows: rows[0].last == 'first')  # no event needed
