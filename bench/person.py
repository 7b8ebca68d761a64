"""A simulated person: one browser, one tab, and the steps a person takes to chat."""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote

from bench.seed import PASSWORD
from bench.tab import Browser

MARK = 'bench'


def composed(text: str) -> dict[str, str]:
    """What the composer's Enter (or its send button) emits: the text and a transaction id of the browser's making
    (22 characters of [A-Za-z0-9_-]), fresh for every message."""
    return {'text': text, 'txn': secrets.token_urlsafe(16)}


class Person:
    """Signs in through the login page and chats through the chat page's input, like a person at a keyboard."""

    def __init__(self, base_url: str, username: str, source: str | None = None) -> None:
        self.username = username
        self.browser = Browser(base_url, source)
        self.tab = self.browser.tab()

    async def log_in(self, then: str = '/', password: str = PASSWORD) -> None:
        """Open ``then``; as a visitor that leads to the login page, which leads back to ``then`` after login."""
        await self.tab.goto(then if then == '/' else f'/login?next={quote(then, safe="")}')
        await self.tab.type('login-username', self.username)
        await self.tab.type('login-password', password)
        await self.tab.click('login-submit')
        await self.tab.wait_for_path(then)

    async def open_chat(self, peer: str) -> None:
        """Sign in straight into the chat with ``peer`` (a bookmarked chat link) and wait for its input."""
        await self.open_conversation(f'/chat/{peer}')

    async def open_conversation(self, path: str) -> None:
        """Sign in straight into a conversation (``/chat/<username>`` or ``/group/<id>``) and wait for its input."""
        await self.log_in(path)
        await self.tab.wait_for('message-input')

    async def send(self, text: str) -> float:
        """Press Enter with ``text`` in the box; returns the moment Enter was pressed (``perf_counter``).

        The composer's ``<textarea>`` is the browser's alone (no value updates): Enter sends one event carrying the
        whole text and a fresh transaction id."""
        pressed = time.perf_counter()
        await self.tab.emit('message-input', 'keydown', composed(text), key='enter')
        return pressed

    async def close(self) -> None:
        await self.tab.close()
        await self.browser.close()
