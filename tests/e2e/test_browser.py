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
HOSTILE = '<b>hi</b> <img src=x onerror="window.pwned=1"> <svg onload="window.pwned=2"></svg>'
"""Markup that runs script once a browser parses it as HTML (an image whose load fails, an SVG as it is inserted). A
``<script>`` would prove nothing: put in through ``innerHTML`` it never runs, escaped or not."""


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
    wait_for_message(bob, token)
    for browser in (alice, bob):
        # Read in one script: a block is drawn anew when a receipt or a neighbour changes, so an element found
        # earlier may be gone by the time it is read.
        shown, elements = browser.execute_script(
            'const b = [...document.querySelectorAll(\'[data-testid="message"]\')]'
            '.find(e => e.textContent.includes(arguments[0]));'
            'return [b.textContent, b.querySelectorAll("b, img, svg").length];', token)
        assert HOSTILE in shown, 'markup in a message must be shown literally'
        assert elements == 0, 'markup in a message became elements'

    reply = f'hello alice {uuid.uuid4().hex[:8]}'
    send(bob, reply)
    wait_for_message(alice, reply)
    # Last, so the failed image load above has had a whole round trip to report its error (and run the handler).
    for browser in (alice, bob):
        assert browser.execute_script('return window.pwned') is None, 'a message ran script'

