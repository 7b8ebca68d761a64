"""The chat page: live delivery to every tab, literal text, refusals, closing, history and catch-up."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from nicegui import app as nicegui_app
from nicegui.nicegui import _on_handshake
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from chatapp.app import ChatApp
from chatapp.broker.redis import RedisBroker
from chatapp.schemas import UserPublic
from chatapp.services import conversations, friendships
from pages.chat.bubble import Block
from pages.chat.view import MAX_UNSENT
from pages.chat.window import MAX_SHOWN
from pages.timezone import ASK_BROWSER, stamp
from tests.factories import make_friends, make_user
from tests.pages.helpers import hold_sends, list_texts, message_texts, send, signed_in, wait_for_message


async def _pair(chat: ChatApp) -> tuple[UserPublic, UserPublic]:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)
    return alice, bob


async def test_a_message_reaches_every_tab_of_both_people_once(user: User, create_user: Callable[[], User],
                                                               chat: ChatApp) -> None:
    await _pair(chat)
    alice1, bob1 = user, create_user()
    alice2, bob2 = User(alice1.http_client), User(bob1.http_client)
    for tab, name, path in ((alice1, 'alice', '/chat/bob'), (alice2, 'alice', '/chat/bob'),
                            (bob1, 'bob', '/chat/alice'), (bob2, 'bob', '/chat/alice')):
        await signed_in(tab, name, path)
        await tab.should_see(marker='message-input')
    for n in range(5):
        sender = alice1 if n % 2 == 0 else bob2
        await send(sender, f'message {n}')
        await wait_for_message(sender, f'message {n}')
    for tab in (alice1, alice2, bob1, bob2):
        await wait_for_message(tab, 'message 4')
        assert message_texts(tab) == [f'message {n}' for n in range(5)]


async def test_html_and_script_are_shown_as_text(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/chat/bob')
    await signed_in(bob, 'bob', '/chat/alice')
    payload = '<b>bold?</b><script>alert("x")</script><img src=x onerror=alert(1)>'
    await send(alice, payload)
    await wait_for_message(bob, payload)
    (block,) = bob.find(marker='message-block').elements
    assert isinstance(block, Block)
    assert html.escape(payload) in block.content  # escaped: the browser shows text
    assert '<script>' not in block.content and '<b>' not in block.content


async def test_a_stranger_gets_not_available(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    make_user(chat.run, 'mallory')
    await signed_in(user, 'mallory', '/chat/alice')
    await user.should_see(marker='not-available')
    await user.should_see(conversations.NOT_AVAILABLE)
    await user.should_not_see(marker='message-input')


async def test_empty_and_too_long_messages_are_refused(user: User, chat: ChatApp) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await send(user, '   ')
    await user.should_see('Type a message first.')
    await send(user, 'x' * 4001)
    await user.should_see('at most 4,000 characters')
    await user.should_not_see(marker='message-block')
    await send(user, 'y' * 4000)
    await wait_for_message(user, 'y' * 4000)


async def test_unfriending_closes_the_conversation_for_both(user: User, create_user: Callable[[], User],
                                                            chat: ChatApp) -> None:
    alice_data, bob_data = await _pair(chat)
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/chat/bob')
    await signed_in(bob, 'bob', '/chat/alice')
    await bob.should_see(marker='message-input')
    await chat.run(friendships.unfriend, actor_id=alice_data.id, friend_id=bob_data.id)
    for person in (alice, bob):
        await person.should_see(marker='conversation-closed')
        await person.should_not_see(marker='message-input')


async def test_latest_page_then_earlier_on_demand(user: User, chat: ChatApp) -> None:
    alice, bob = await _pair(chat)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    for n in range(1, 121):
        chat.run.run_sync(conversations.send_message, actor_id=alice.id if n % 2 else bob.id,
                          conversation_id=info.conversation_id, body=f'm{n}')
    await signed_in(user, 'alice', '/chat/bob')
    await wait_for_message(user, 'm120')
    assert message_texts(user) == [f'm{n}' for n in range(71, 121)]
    user.find(marker='load-earlier').click()
    await wait_for_message(user, 'm21')
    assert message_texts(user) == [f'm{n}' for n in range(21, 121)]
    user.find(marker='load-earlier').click()
    await wait_for_message(user, 'm1')
    assert message_texts(user) == [f'm{n}' for n in range(1, 121)]
    await user.should_not_see(marker='load-earlier')


@pytest.fixture
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    """No message rate limit for the app under test (name it before ``user``): for tests that send in bulk."""
    monkeypatch.setenv('CHATAPP_LIMIT_MESSAGES', 'off')
    monkeypatch.setenv('CHATAPP_LIMIT_MESSAGES_PER_ADDRESS', 'off')


async def test_a_view_holds_a_bounded_number_of_messages(unlimited: None, user: User,
                                                         create_user: Callable[[], User], chat: ChatApp) -> None:
    alice_data, _ = await _pair(chat)
    bob = create_user()
    await signed_in(bob, 'bob', '/chat/alice')
    await signed_in(user, 'alice', '/chat/bob')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice_data.id, peer_username='bob')
    for n in range(MAX_SHOWN + 9):  # one at a time, each heard live
        await chat.run(conversations.send_message, actor_id=alice_data.id, conversation_id=info.conversation_id,
                       body=f'n{n}')
    await send(user, f'n{MAX_SHOWN + 9}')
    await wait_for_message(user, f'n{MAX_SHOWN + 9}')
    await wait_for_message(bob, f'n{MAX_SHOWN + 9}')
    texts = message_texts(bob)
    assert len(texts) == MAX_SHOWN
    assert texts[-1] == f'n{MAX_SHOWN + 9}'
    await bob.should_see(marker='load-earlier')


async def test_a_view_catches_up_after_missing_events(user: User, chat: ChatApp) -> None:
    alice, _ = await _pair(chat)
    await signed_in(user, 'bob', '/chat/alice')
    await user.should_see(marker='message-input')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    for n in range(3):  # stored without publishing: as if the broker lost these events
        chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                          body=f'missed {n}')
    await chat.run(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                   body='published')  # seq 4 arrives, the view notices the gap and reads 1-3 from the database
    await wait_for_message(user, 'published')
    assert message_texts(user) == ['missed 0', 'missed 1', 'missed 2', 'published']
    chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                      body='during a broker outage')
    await chat.hub.resync_all()  # what the Redis broker triggers after reconnecting
    await wait_for_message(user, 'during a broker outage')
    assert message_texts(user)[-1] == 'during a broker outage'
    assert len(message_texts(user)) == 5


async def test_closed_pages_leave_the_hub(user: User, chat: ChatApp) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    before = chat.hub.view_count()
    second = User(user.http_client)  # a second tab with the same page: its views join the hub
    await signed_in(second, 'alice', '/chat/bob')
    await second.should_see(marker='message-input')
    assert chat.hub.view_count() > before
    assert second.client is not None
    second.client.delete()
    await asyncio.sleep(0)
    assert chat.hub.view_count() == before


async def test_a_logged_out_tab_stops_receiving_and_goes_to_login(user: User, create_user: Callable[[], User],
                                                                  chat: ChatApp) -> None:
    alice, _ = await _pair(chat)
    bob_tab = user
    await signed_in(bob_tab, 'bob', '/chat/alice')
    await bob_tab.should_see(marker='message-input')
    (bob_list,) = bob_tab.find(marker='message-list').elements  # read after the tab has left the page
    second_bob_tab = User(bob_tab.http_client)
    await second_bob_tab.open('/')
    await second_bob_tab.should_see(marker='continue-bob')
    second_bob_tab.find(marker='continue-bob').click()
    await second_bob_tab.should_see(marker='logout')
    second_bob_tab.find(marker='logout').click()  # logs bob out of this browser, so the first tab too
    await second_bob_tab.should_see(marker='login-username')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                      body='before')
    await chat.run(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                   body='after')  # a gap: the first tab's catch-up finds it is no longer bob's
    await bob_tab.should_see(marker='login-username')
    assert list_texts(bob_list) == []  # neither 'before' nor 'after' reached the logged-out tab's list


async def test_paging_back_past_the_window_and_jumping_to_the_latest(user: User, chat: ChatApp) -> None:
    alice, bob = await _pair(chat)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    total = MAX_SHOWN + 100
    for n in range(1, total + 1):
        chat.run.run_sync(conversations.send_message, actor_id=bob.id, conversation_id=info.conversation_id,
                          body=f'h{n}')
    await signed_in(user, 'alice', '/chat/bob')
    await wait_for_message(user, f'h{total}')
    while 'h1' not in message_texts(user):
        user.find(marker='load-earlier').click()
        await asyncio.sleep(0.05)
    texts = message_texts(user)
    assert texts == [f'h{n}' for n in range(1, MAX_SHOWN + 1)]  # the window slid back; the newest made room
    await user.should_see(marker='jump-latest')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=info.conversation_id, body='live')
    await user.should_see('1 new · jump to the latest')
    assert 'live' not in message_texts(user)
    user.find(marker='jump-latest').click()
    await wait_for_message(user, 'live')
    assert message_texts(user)[-2:] == [f'h{total}', 'live']
    await user.should_not_see(marker='jump-latest')


async def test_times_are_shown_in_the_browsers_zone(user: User, chat: ChatApp) -> None:
    alice, _ = await _pair(chat)
    user.javascript_rules[re.compile(re.escape(ASK_BROWSER))] = lambda _: 'Asia/Kolkata'  # UTC+05:30, no DST
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    sent, _ = chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                                body='when?')
    await signed_in(user, 'alice', '/chat/bob')  # the login page asked the browser for its zone meanwhile
    await user.open('/chat/bob')
    await wait_for_message(user, 'when?')
    (page,) = user.find(marker='message-block').elements  # the message was history when the page opened
    shown = stamp(sent.created_at, ZoneInfo('Asia/Kolkata'))
    assert f'data-stamp="{shown}"' in page.content  # type: ignore[attr-defined]
    assert 'UTC' not in shown


async def test_a_reconnecting_socket_catches_up_from_the_database(user: User, chat: ChatApp) -> None:
    alice, _ = await _pair(chat)
    await signed_in(user, 'bob', '/chat/alice')
    await user.should_see(marker='message-input')
    client = user.client
    assert client is not None
    (socket_id,) = list(client._socket_to_document_id)
    document_id = client._socket_to_document_id[socket_id]
    client.handle_disconnect(socket_id)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                      body='sent while the socket was down')  # stored, never published
    await _on_handshake(f'test-{uuid.uuid4()}', {'client_id': client.id, 'tab_id': user.tab_id,
                                                  'document_id': document_id})
    await wait_for_message(user, 'sent while the socket was down')
    assert message_texts(user) == ['sent while the socket was down']


async def test_a_lost_redis_connection_is_followed_by_a_catch_up(redis_url: str, app_env: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs its own simulation, since the ``user`` fixture would be built before the Redis settings are in place."""
    monkeypatch.setenv('CHATAPP_REDIS_URL', redis_url)
    monkeypatch.setenv('CHATAPP_REDIS_PREFIX', f'test-{uuid.uuid4().hex[:12]}')
    async with user_simulation(main_file=Path(__file__).parents[1] / 'main.py') as user:
        chat: ChatApp = nicegui_app.state.chatapp
        assert isinstance(chat.broker, RedisBroker)
        alice, _ = await _pair(chat)
        await signed_in(user, 'bob', '/chat/alice')
        await user.should_see(marker='message-input')
        info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
        chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                          body='published into the void')  # as if the PUBLISH was lost with the connection
        admin = redis.Redis.from_url(redis_url)
        try:
            killed = _kill(admin, chat.broker)
        finally:
            admin.close()
        assert killed == 1
        await wait_for_message(user, 'published into the void')  # the listener re-subscribed and resynced


def _kill(admin: redis.Redis, broker: RedisBroker) -> int:
    ids = [c['id'] for c in admin.client_list() if c.get('name') == broker.listener_name]
    return sum(int(admin.execute_command('CLIENT', 'KILL', 'ID', client_id)) for client_id in ids)


async def test_sending_from_the_history_jumps_back_and_shows_my_message(user: User, chat: ChatApp) -> None:
    alice, bob = await _pair(chat)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    for n in range(1, MAX_SHOWN + 60):
        chat.run.run_sync(conversations.send_message, actor_id=bob.id, conversation_id=info.conversation_id,
                          body=f'h{n}')
    await signed_in(user, 'alice', '/chat/bob')
    while 'h1' not in message_texts(user):
        await user.should_see(marker='load-earlier')
        user.find(marker='load-earlier').click()
        await asyncio.sleep(0.05)
    await user.should_see(marker='jump-latest')
    await send(user, 'mine')
    await wait_for_message(user, 'mine')
    assert message_texts(user)[-2:] == [f'h{MAX_SHOWN + 59}', 'mine']
    await user.should_not_see(marker='jump-latest')


async def test_a_burst_of_sends_arrives_once_each_in_order_on_both_pages(user: User, create_user: Callable[[], User],
                                                                         chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = user, create_user()
    await signed_in(bob, 'bob', '/chat/alice')
    await signed_in(alice, 'alice', '/chat/bob')
    texts = [f'pasted line {n} ✓' for n in range(20)]
    for text in texts:  # back to back, as a browser emits them: nothing waits for the previous one to be stored
        await send(alice, text)
    for person in (alice, bob):
        await wait_for_message(person, texts[-1])
        assert message_texts(person) == texts
    await alice.should_not_see(marker='pending-message')
    await alice.should_not_see('Sending…')


async def test_a_repeated_send_is_stored_once(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    await _pair(chat)
    alice, bob = user, create_user()
    await signed_in(bob, 'bob', '/chat/alice')
    await signed_in(alice, 'alice', '/chat/bob')
    txn = await send(alice, 'only once')
    await wait_for_message(bob, 'only once')
    await send(alice, 'only once', txn=txn)  # the browser's event heard twice, or a retry after a timeout
    await send(alice, 'next')
    await wait_for_message(bob, 'next')
    assert message_texts(bob) == message_texts(alice) == ['only once', 'next']


@pytest.mark.parametrize(('problem', 'length', 'shown'), [
    ('blank', 0, 'Type a message first.'),
    ('too_long', 4321, 'at most 4,000 characters long (4,321 now)'),
    ('surrogate', 5, 'broken character'),
])
async def test_text_the_browser_kept_gets_a_reason_and_nothing_is_stored(user: User, chat: ChatApp, problem: str,
                                                                         length: int, shown: str) -> None:
    alice, _ = await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    user.find(marker='message-input').trigger('keydown.enter', {'problem': problem, 'length': length})
    await user.should_see(shown)
    await user.should_see(marker='composer-note')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    assert info.messages == []
    await send(user, 'fixed')  # a good send clears the reason
    await wait_for_message(user, 'fixed')
    await user.should_not_see(marker='composer-note')


@pytest.mark.parametrize(('text', 'shown'), [(' \t ', 'Type a message first.'),
                                             ('x' * 100_000, 'at most 4,000 characters long (100,000 now)')])
async def test_a_text_the_browser_should_have_kept_is_refused_and_takes_no_room(user: User, chat: ChatApp, text: str,
                                                                                shown: str) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await send(user, text)  # the browser checks first; a forged event must still be refused cleanly
    await user.should_see(shown)
    await user.should_not_see(marker='pending-message')
    assert message_texts(user) == []


async def test_a_slow_send_shows_as_sending_until_it_is_stored(user: User, chat: ChatApp,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    stored = hold_sends(monkeypatch)
    await send(user, 'slow <b>one</b>')
    await user.should_see('Sending…', retries=20)
    assert 'slow &lt;b&gt;one&lt;/b&gt;' in user.find(marker='pending-sending-list').elements.pop().content  # escaped
    stored.set()
    await wait_for_message(user, 'slow <b>one</b>')
    await user.should_not_see('Sending…')
    assert message_texts(user) == ['slow <b>one</b>']


@pytest.fixture
def one_message_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tight message limit for the app under test (name it before ``user``)."""
    monkeypatch.setenv('CHATAPP_LIMIT_MESSAGES', '1/min')


async def test_a_send_the_server_refuses_stays_on_the_page_with_retry_and_discard(one_message_a_minute: None,
                                                                                  user: User, chat: ChatApp) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await send(user, 'first')
    await wait_for_message(user, 'first')
    await send(user, 'too soon')  # refused by the rate limit: the text stays on the page with Retry
    await user.should_see('Not sent: You are sending messages too fast')
    await user.should_see(marker='pending-retry')
    user.find(marker='pending-discard').click()
    await user.should_not_see(marker='pending-message')
    assert message_texts(user) == ['first']


@pytest.mark.parametrize('args', [['a', 'list'], 'text', {'text': 'no id'}, {'text': 'x', 'txn': 'short'},
                                  {'text': 'x', 'txn': 'a' * 8 + '"; alert(1)'}, {'text': 5, 'txn': 'a' * 12}])
async def test_events_of_another_shape_are_ignored(user: User, chat: ChatApp, args: object) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await user.should_see(marker='message-input')
    user.find(marker='message-input').trigger('keydown.enter', args)
    await send(user, 'real')
    await wait_for_message(user, 'real')
    assert message_texts(user) == ['real']


async def test_sends_a_reloaded_page_never_saw_confirmed_go_out_once(user: User, create_user: Callable[[], User],
                                                                    chat: ChatApp) -> None:
    """After a restart the browser hands back what it sent but never saw stored; one of them was stored already."""
    alice_data, _ = await _pair(chat)
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice_data.id, peer_username='bob')
    chat.run.run_sync(conversations.send_message, actor_id=alice_data.id, conversation_id=info.conversation_id,
                      body='stored before the crash', txn='k000000001aaaaaaaaaa')
    user.javascript_rules[re.compile(r'(?s).*const pending = \[\]')] = lambda _: [
        ['k000000002bbbbbbbbbb', 'lost in the crash'], ['k000000001aaaaaaaaaa', 'stored before the crash'],
        ['bad id', 'forged'], ['k000000003cccccccccc', 7]]
    bob = create_user()
    await signed_in(bob, 'bob', '/chat/alice')
    await signed_in(user, 'alice', '/chat/bob')
    await wait_for_message(user, 'lost in the crash')
    await wait_for_message(bob, 'lost in the crash')
    assert message_texts(user) == message_texts(bob) == ['stored before the crash', 'lost in the crash']


async def test_after_a_long_outage_the_view_says_how_many_new_messages_it_skipped(user: User, chat: ChatApp) -> None:
    alice, _ = await _pair(chat)
    await signed_in(user, 'bob', '/chat/alice')
    await user.should_see(marker='message-input')
    info, _ = chat.run.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    missed = MAX_SHOWN + 34
    for n in range(1, missed + 1):  # stored, never published: the broker was away all along
        chat.run.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=info.conversation_id,
                          body=f'o{n}')
    await chat.hub.resync_all()
    await wait_for_message(user, f'o{missed}')
    shown = message_texts(user)
    assert shown == [f'o{n}' for n in range(missed - len(shown) + 1, missed + 1)]
    skipped = missed - len(shown)
    await user.should_see(f'{skipped} earlier new messages · show them')
    user.find(marker='load-earlier').click()
    await wait_for_message(user, f'o{skipped}')
    await user.should_see(f'{skipped - conversations.PAGE_SIZE} earlier new messages · show them')
    while 'o1' not in message_texts(user):  # one page at a time, down to the first message missed
        user.find(marker='load-earlier').click()
        await asyncio.sleep(0.05)
    await user.should_not_see('earlier new messages')
    await user.should_see(marker='jump-latest')  # the newest made room: the window is in the history now



async def test_unsent_messages_are_bounded(one_message_a_minute: None, user: User, chat: ChatApp) -> None:
    await _pair(chat)
    await signed_in(user, 'alice', '/chat/bob')
    await send(user, 'stored')
    await wait_for_message(user, 'stored')
    for n in range(MAX_UNSENT):
        await send(user, f'throttled {n}')  # each refused by the rate limit, each kept with Retry and Discard
    await user.should_see(marker='pending-retry')
    for _ in range(100):  # the refusals come back one by one
        if len(user.find(marker='pending-failed').elements) == MAX_UNSENT:
            break
        await asyncio.sleep(0.05)
    assert len(user.find(marker='pending-message').elements) == MAX_UNSENT
    await send(user, 'one too many')
    await user.should_see(f'{MAX_UNSENT} messages are not sent yet.')
    assert len(user.find(marker='pending-message').elements) == MAX_UNSENT
