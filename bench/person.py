"""A simulated person: one browser, one tab, and the steps a person takes to chat."""

from __future__ import annotations

import time
from urllib.parse import quote

from bench.seed import PASSWORD
from bench.tab import Browser

MARK = 'bench'


class Person:
    """Signs in through the login page and chats through the chat page's input, like a person at a keyboard."""

    def __init__(self, base_url: str, username: str) -> None:
        self.username = username
        self.browser = Browser(base_url)
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
        await self.log_in(f'/chat/{peer}')
        await self.tab.wait_for('message-input')

    async def send(self, text: str) -> float:
        """Type ``text`` and press Enter; returns the moment Enter was pressed (``perf_counter``)."""
        await self.tab.type('message-input', text)
        pressed = time.perf_counter()
        await self.tab.press_enter('message-input')
        return pressed

    async def close(self) -> None:
        await self.tab.close()
        await self.browser.close()
