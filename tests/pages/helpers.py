"""Acting as a person in NiceGUI's user simulation."""

from __future__ import annotations

import asyncio
import functools
import html
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from nicegui import background_tasks, ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from chatapp.services import conversations
from pages.chat.attention import EVENT as VISIBILITY_EVENT
from pages.chat.bubble import Block
from tests.factories import PASSWORD


async def sign_up(user: User, username: str, *, display_name: str = '', password: str = PASSWORD) -> None:
    """Sign up through the page and land on the dashboard."""
    await user.open('/signup')
    await user.should_see(marker='signup-username')
    user.find(marker='signup-username').type(username)
    if display_name:
        user.find(marker='signup-display-name').type(display_name)
    user.find(marker='signup-password').type(password)
    user.find(marker='signup-submit').click()
    await user.should_see(marker='whoami', retries=100)  # password hashing takes seconds on a busy machine
    await user.should_see(f'@{username.lower()}')
    await settle(user)  # the inbox's opening reads must not move the next person's login (see ``settle``)


async def log_in(user: User, username: str, *, password: str = PASSWORD, next_path: str = '') -> None:
    """Log in through the page."""
    await user.open('/login' + (f'?next={next_path}' if next_path else ''))
    await user.should_see(marker='login-username')
    user.find(marker='login-username').type(username)
    user.find(marker='login-password').type(password)
    user.find(marker='login-submit').click()


async def signed_in(user: User, username: str, path: str) -> None:
    """Log in and wait until ``path`` shows. Waiting matters: the simulation's ``ui.navigate`` follows the ``User``
    used last, so a login still in flight while another simulated person acts would move the wrong one."""
    await log_in(user, username, next_path=path)
    await user.should_see(marker='whoami', retries=100)  # password hashing takes seconds on a busy machine
    await settle(user)


BLOCK_TEXTS = re.compile(r'data-testid="message"[^>]*>(.*?)</div>', re.S)
TAG = re.compile(r'<[^>]*>')
"""Markup inside a bubble (links, mentions, and the empty buttons whose words come from the stylesheet)."""


async def send(user: User, text: str, *, txn: str | None = None) -> str:
    """Send ``text`` as the browser does when Enter is pressed in the box (the send button presses Enter there):
    the text and a fresh transaction id travel with the event. Returns the id."""
    await user.should_see(marker='message-input', retries=30)
    txn = txn or new_txn()
    user.find(marker='message-input').trigger('keydown.enter', {'text': text, 'txn': txn})
    return txn


def hold_sends(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """From now on every ``send_message`` waits on its service thread (the database is slow today) until the
    returned event is set."""
    stored = threading.Event()
    real = conversations.send_message

    @functools.wraps(real)
    def held(*args: Any, **kwargs: Any) -> Any:
        stored.wait(timeout=10)
        return real(*args, **kwargs)

    monkeypatch.setattr(conversations, 'send_message', held)
    return stored


def new_txn() -> str:
    """A transaction id of the shape the browser makes."""
    return uuid.uuid4().hex[:20]


def message_texts(user: User) -> list[str]:
    """The texts of the messages on ``user``'s page, in order (``Block`` elements hold them as escaped HTML)."""
    if not _has(user, 'message-list'):
        return []
    (column,) = user.find(marker='message-list').elements
    return list_texts(column)


def list_texts(column: ui.element) -> list[str]:
    """The texts of the messages in a ``message-list`` element, also after its page went away."""
    texts: list[str] = []
    for child in column.default_slot.children:
        if isinstance(child, Block):
            texts += [html.unescape(TAG.sub('', text)) for text in BLOCK_TEXTS.findall(child.content)]
    return texts


async def wait_for_message(user: User, text: str, *, attempts: int = 100) -> None:
    """Wait until a message bubble shows ``text`` (``should_see`` would also match the input field)."""
    for _ in range(attempts):
        if text in message_texts(user):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'no message {text!r}; messages: {message_texts(user)}')


def look_at(user: User, *, visible: bool = True) -> None:
    """The person looks at ``user``'s tab (or leaves it): what the browser reports through the Page Visibility API
    (see ``pages.chat.attention``). Until then a simulated tab counts as not seen, as a real one does."""
    assert user.client is not None
    UserInteraction(user, {user.client.layout}, None).trigger(
        VISIBILITY_EVENT, {'state': 'visible' if visible else 'hidden'})


def blocks_html(user: User) -> str:
    """The HTML of every message block on ``user``'s page, in order (names, times, receipts, lines), with numeric
    character references written out as the browser shows them (``pages.narrow`` writes emoji as ``&#128077;``)."""
    if not _has(user, 'message-list'):
        return ''
    (column,) = user.find(marker='message-list').elements
    content = ''.join(child.content for child in column.default_slot.children if isinstance(child, Block))
    return REFERENCE.sub(lambda match: chr(int(match.group(1))), content)


REFERENCE = re.compile(r'&#(\d+);')


BUBBLES = re.compile(r'<div class="bubble[^"]*" data-testid="message"([^>]*)>(.*?)</div>', re.S)
NAME = re.compile(r'data-name="([^"]*)"')
STAMP = re.compile(r'data-stamp="([^"]*)"')


def bubbles(user: User) -> list[tuple[str, str | None, bool]]:
    """``(text, name shown or None, whether the time shows)`` of every bubble on ``user``'s page, in order."""
    shown = []
    for attributes, text in BUBBLES.findall(blocks_html(user)):
        name = NAME.search(attributes)
        shown.append((html.unescape(TAG.sub('', text)), html.unescape(name.group(1)) if name else None,
                      STAMP.search(attributes) is not None))
    return shown


def timeline_lines(user: User) -> list[str]:
    """The timeline events ("alice added bob") on ``user``'s page, in order."""
    return [html.unescape(text) for text in
            re.findall(r'data-testid="timeline-event">(.*?)</div>', blocks_html(user), re.S)]


def receipt_lines(user: User) -> list[str]:
    """The receipt lines ("Seen 14:02", "Seen by 2") on ``user``'s page."""
    return [html.unescape(text) for text in
            re.findall(r'data-testid="receipt"[^>]*>(.*?)</(?:div|button)>', blocks_html(user), re.S)]


async def eventually(check: Callable[[], bool], what: str, *, attempts: int = 100) -> None:
    """Wait until ``check()`` holds (events reach pages from background tasks)."""
    for _ in range(attempts):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'never: {what}')


async def settle(user: User, *, attempts: int = 200) -> None:
    """Wait until ``user``'s page has finished the reads it makes when it opens and sent its browser everything it
    queued (a chat page asks the browser for its visibility and sends its header's presence just after it shows).

    NiceGUI's user simulation points the global ``ui.navigate`` at whichever ``User`` was touched last, and a page's
    outbox touches its ``User`` when it sends anything: until the page is quiet, another person's login in flight
    can be moved by it (they stay on the login page while this one is sent to their target)."""
    assert user.client is not None
    outbox = user.client.outbox
    quiet = 0
    for _ in range(attempts):
        opening = [task for task in background_tasks.running_tasks if task.get_name() in OPENING_READS]
        if opening:
            quiet = 0
            await asyncio.wait(opening, timeout=1)
            continue
        quiet = quiet + 1 if not outbox.updates and not outbox.messages else 0
        if quiet == 5:
            return
        await asyncio.sleep(0.02)
    raise AssertionError('the page never went quiet')


OPENING_READS = {'friends reload', 'inbox read', 'unread total'}
"""Names of the background tasks pages start when they open (see pages.friends and pages.inbox)."""


def _has(user: User, marker: str) -> bool:
    try:
        user.find(marker=marker)
    except AssertionError:
        return False
    return True
