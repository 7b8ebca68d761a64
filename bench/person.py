"""A simulated person: one browser, one tab, and the steps a person takes to chat."""

from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import quote

from bench.seed import PASSWORD
from bench.tab import Browser
from pages.chat.composer import TYPING_EVERY

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
        self.typing_signals = 0
        """``input`` events sent (the composer's "typing" signal)."""
        self.typed = 0
        """Characters typed, over ``typing_seconds`` from each message's first key to its Enter."""
        self.typing_seconds = 0.0
        self._typing_at: float | None = None  # the box's ``dataset.typingAt``: when the last signal went

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

    async def type(self, text: str, cps: float) -> None:
        """Type ``text`` into the message box key by key at ``cps`` characters a second, sending what the
        composer's ``input`` handler sends in a browser: ``true`` at the first key that leaves text in the box and
        again at the first key ``TYPING_EVERY`` s after the last signal; no key sends anything else. Returns one
        key's time after the last key, when Enter comes."""
        started = time.perf_counter()
        for k in range(len(text)):
            await _until(started + k / cps)
            await self._input(text[:k + 1])
        await _until(started + len(text) / cps)
        self.typed += len(text)
        self.typing_seconds += time.perf_counter() - started

    async def paste(self, text: str) -> None:
        """Paste ``text`` into the message box: one ``input`` event in the browser, so at most one signal."""
        await self._input(text)

    async def send(self, text: str) -> float:
        """Press Enter with ``text`` in the box; returns the moment Enter was pressed (``perf_counter``).

        The composer's ``<textarea>`` is the browser's alone (no value updates): Enter sends one event carrying the
        whole text and a fresh transaction id, and empties the box without an ``input`` event, forgetting when the
        last typing signal went."""
        pressed = time.perf_counter()
        self._typing_at = None
        await self.tab.emit('message-input', 'keydown', composed(text), key='enter')
        return pressed

    async def _input(self, box: str) -> None:
        """The composer's ``input`` handler with ``box`` in the box (its draft and counter stay in the browser)."""
        now = time.perf_counter()
        if box.strip() and (self._typing_at is None or now - self._typing_at >= TYPING_EVERY):
            self._typing_at = now
            self.typing_signals += 1
            await self.tab.emit('message-input', 'input', True)
        elif not box.strip() and self._typing_at is not None:
            self._typing_at = None
            self.typing_signals += 1
            await self.tab.emit('message-input', 'input', False)

    async def close(self) -> None:
        await self.tab.close()
        await self.browser.close()


async def _until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
