"""Two people in two real browsers on one app process: sign up, befriend, chat, all pushed live without a reload."""

from __future__ import annotations

import uuid

from tests.e2e.harness import (
    AppProcess,
    BrowserFactory,
    accept,
    find,
    open_chat,
    open_dashboard,
    search_and_add,
    send,
    signup,
    wait_for_message,
)

PASSWORD = 'correct horse battery staple'
HOSTILE = '<b>hi</b> <script>window.pwned=1</script>'


def test_two_browsers_befriend_and_chat_live(chat_app: AppProcess, new_browser: BrowserFactory) -> None:
    alice, bob = new_browser(), new_browser()
    signup(alice, chat_app.base_url, 'alice', PASSWORD, 'Alice')
    signup(bob, chat_app.base_url, 'bob', PASSWORD, 'Bob')
    open_dashboard(alice, chat_app.base_url)
    open_dashboard(bob, chat_app.base_url)

    search_and_add(bob, 'alice')
    find(alice, 'accept-bob')  # arrives on alice's open dashboard, no reload
    accept(alice, 'bob')
    find(bob, 'chat-alice')  # and bob's friend list updates on its own

    open_chat(alice, 'bob')
    open_chat(bob, 'alice')

    token = uuid.uuid4().hex[:8]
    text = f'{HOSTILE} {token}'
    send(alice, text)
    bubble = wait_for_message(bob, token)
    assert HOSTILE in bubble.text, 'markup in a message must be shown literally'
    assert bob.execute_script('return window.pwned') is None
    assert alice.execute_script('return window.pwned') is None

    reply = f'hello alice {uuid.uuid4().hex[:8]}'
    send(bob, reply)
    wait_for_message(alice, reply)
