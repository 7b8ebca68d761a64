"""Acting as a person in NiceGUI's user simulation."""

from __future__ import annotations

import asyncio
import html
import re
import uuid

from nicegui import ui
from nicegui.testing import User

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
    await user.should_see(marker='whoami', retries=30)
    await user.should_see(f'@{username.lower()}')


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
    await user.should_see(marker='whoami', retries=30)


BLOCK_TEXTS = re.compile(r'data-testid="message"[^>]*>(.*?)</div>', re.S)


async def send(user: User, text: str, *, txn: str | None = None) -> str:
    """Send ``text`` as the browser does when Enter is pressed in the box (the send button presses Enter there):
    the text and a fresh transaction id travel with the event. Returns the id."""
    await user.should_see(marker='message-input', retries=30)
    txn = txn or new_txn()
    user.find(marker='message-input').trigger('keydown.enter', {'text': text, 'txn': txn})
    return txn


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
            texts += [html.unescape(text) for text in BLOCK_TEXTS.findall(child.content)]
    return texts


async def wait_for_message(user: User, text: str, *, attempts: int = 100) -> None:
    """Wait until a message bubble shows ``text`` (``should_see`` would also match the input field)."""
    for _ in range(attempts):
        if text in message_texts(user):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'no message {text!r}; messages: {message_texts(user)}')


def _has(user: User, marker: str) -> bool:
    try:
        user.find(marker=marker)
    except AssertionError:
        return False
    return True
