"""Resting pages (``pages.dormancy``): a page hidden for long goes to ``/rest``, which keeps the title count and the
toasts, and goes back to the page, whole, the moment the tab shows again. The simulation runs no script, so the
browser's ``location.replace`` is recorded here and the next page opened by the test, as the browser would."""

from __future__ import annotations

import asyncio
import sys
from types import ModuleType

import pytest
from nicegui import Client, ui
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import conversations, sessions
from pages import release
from tests.factories import make_user, open_chat, say
from tests.pages.helpers import hold_sends, look_at, message_texts, send, signed_in, wait_for_message
from tests.pages.test_notifications import title_becomes, toasts_become

AFTER = 0.2


def dormancy() -> ModuleType:
    """``pages.dormancy`` as the running app imported it (the simulation imports the pages anew for each test)."""
    return sys.modules['pages.dormancy']


@pytest.fixture
def trips(chat: ChatApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The places the browser was sent with ``location.replace``, in order; pages rest ``AFTER`` seconds hidden."""
    monkeypatch.setattr(chat.settings, 'dormant_after_seconds', AFTER)
    sent: list[str] = []
    module = dormancy()
    real = module.go

    def go(client: Client, path: str) -> None:
        sent.append(path)
        real(client, path)

    monkeypatch.setattr(module, 'go', go)
    return sent


async def sent_to(trips: list[str], count: int, *, attempts: int = 60) -> list[str]:
    for _ in range(attempts):
        if len(trips) >= count:
            return trips
        await asyncio.sleep(0.05)
    raise AssertionError(f'the browser was sent to {trips}')


async def test_a_hidden_chat_rests_keeps_its_count_and_toasts_and_comes_back_whole(
        user: User, chat: ChatApp, trips: list[str]) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob')
    with_bob = open_chat(chat.run, alice, bob)
    say(chat.run, bob, with_bob, 'before')
    await signed_in(user, 'alice', '/chat/bob')
    await wait_for_message(user, 'before')
    look_at(user)
    look_at(user, visible=False)
    assert await sent_to(trips, 1) == ['/rest?next=%2Fchat%2Fbob']
    await user.open('/rest?next=%2Fchat%2Fbob')
    await user.should_see(marker='resting')
    await title_becomes(user, 'Bob · chatapp')  # the title of the page it stands for
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='while away')
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=with_bob, body='and again')
    await title_becomes(user, '(2) Bob · chatapp')
    await toasts_become(user, 2)
    assert not [element for element in user.client.elements.values() if 'message-list' in element._markers]
    look_at(user)  # the tab shows again
    assert await sent_to(trips, 2) == ['/rest?next=%2Fchat%2Fbob', '/chat/bob']
    await user.open('/chat/bob')
    await wait_for_message(user, 'and again')
    assert message_texts(user) == ['before', 'while away', 'and again']  # each once, from the database


async def test_a_page_shown_again_in_time_does_not_rest(user: User, chat: ChatApp, trips: list[str]) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    open_chat(chat.run, alice, bob)
    await signed_in(user, 'alice', '/')
    look_at(user, visible=False)
    await asyncio.sleep(AFTER / 2)
    look_at(user)
    await asyncio.sleep(AFTER * 2)
    assert trips == []
    look_at(user, visible=False)  # the inbox alone rests too
    assert await sent_to(trips, 1) == ['/rest?next=%2F']


async def test_a_hidden_page_that_closes_leaves_no_timer_for_its_release(
        user: User, chat: ChatApp, trips: list[str]) -> None:
    make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/')
    look_at(user, visible=False)
    client = user.client
    assert client is not None
    restings = [listener.handler.__self__ for listener in client.layout._event_listeners.values()
                if isinstance(getattr(listener.handler, '__self__', None), dormancy().Dormancy)]
    assert len(restings) == 1
    assert release._walk(restings)[1]  # armed: a pending timer holds the page
    client.delete()
    assert not release._walk(restings)[1]  # closed: nothing left to hold it
    assert trips == []


async def test_a_page_with_a_dialog_open_rests_only_once_it_is_closed(
        user: User, chat: ChatApp, trips: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dormancy(), 'RETRY_SECONDS', AFTER)
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    open_chat(chat.run, alice, bob)
    await signed_in(user, 'alice', '/')
    user.find(marker='new-group').click()
    await user.should_see(marker='new-group-name')
    look_at(user, visible=False)
    await asyncio.sleep(AFTER * 3)
    assert trips == []  # a half-filled form is not thrown away
    for element in user.client.elements.values():
        if isinstance(element, ui.dialog):
            element.close()
    assert await sent_to(trips, 1) == ['/rest?next=%2F']


async def test_a_page_with_a_send_on_its_way_rests_once_it_is_stored(
        user: User, chat: ChatApp, trips: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dormancy(), 'RETRY_SECONDS', AFTER)
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    open_chat(chat.run, alice, bob)
    await signed_in(user, 'alice', '/chat/bob')
    stored = hold_sends(monkeypatch)
    await send(user, 'on its way')
    look_at(user, visible=False)
    await asyncio.sleep(AFTER * 3)
    assert trips == []  # the page itself keeps the send until it is stored
    stored.set()
    await wait_for_message(user, 'on its way')
    assert await sent_to(trips, 1) == ['/rest?next=%2Fchat%2Fbob']


async def test_a_resting_tab_is_signed_out_with_its_account(user: User, chat: ChatApp, trips: list[str]) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/')
    await user.open('/rest?next=%2F')
    await user.should_see(marker='resting')
    await chat.run(sessions.sign_out_everywhere, actor_id=alice.id)
    await user.should_see(marker='login-username')


@pytest.mark.parametrize('query', ['', '?next=https%3A%2F%2Fevil.example', '?next=%2F%2Fevil.example'])
async def test_a_resting_tab_goes_back_only_within_the_app(user: User, chat: ChatApp, trips: list[str],
                                                          query: str) -> None:
    make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/')
    await user.open(f'/rest{query}')
    await user.should_see(marker='resting')
    assert user.client.title == 'chatapp'  # no note for this place: no borrowed title
    look_at(user)
    assert await sent_to(trips, 1) == ['/']


async def test_a_restart_forgets_the_title_but_not_the_place(user: User, chat: ChatApp, trips: list[str]) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    open_chat(chat.run, alice, bob)
    await signed_in(user, 'alice', '/chat/bob')
    await user.open('/rest?next=%2Fchat%2Fbob')  # as after a restart: the tab's storage holds no note
    await user.should_see(marker='resting')
    look_at(user)
    assert await sent_to(trips, 1) == ['/chat/bob']


async def test_a_resting_page_needs_an_account(user: User, chat: ChatApp) -> None:
    await user.open('/rest')
    await user.should_see(marker='login-username')
