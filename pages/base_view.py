"""What every signed-in view shares: acting as the tab's account, re-checked before each action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import ui

from chatapp.app import ChatApp
from chatapp.security.limits import from_address
from pages.feedback import Failed, attempt
from pages.identity import Identity

R = TypeVar('R')


class SignedInView:
    """Base of views that act for the signed-in person of a tab."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        self.chat = chat
        self.identity = identity
        self.client = ui.context.client
        self.address = self.client.ip
        """Where the page was requested from (uvicorn takes it from X-Forwarded-For behind a trusted proxy); the
        rate limits count per address as well as per account. Read now: later events carry no request."""
        self.navigate = ui.navigate  # see pages.navigation

    @property
    def me(self) -> int:
        return self.identity.user.id

    def still_signed_in(self) -> bool:
        """False (after sending the tab to the login page) once this tab is no longer its account: events for the
        account must stop reaching a tab that logged out elsewhere in the browser."""
        if self.identity.is_current():
            return True
        with self.client:
            self.navigate.to('/login')
        return False

    async def act(self, fn: Callable[..., R], /, *, quiet: bool = False, **kwargs: Any) -> R | Failed:
        """Run service ``fn`` as this tab's account, after checking that the tab still is that account.

        It enters the view's client because the hub and catch-ups call it from tasks with no UI context of their own,
        and a refusal is shown with ``ui.notify`` or answered with ``ui.navigate``. The call counts against the rate
        limits of this account and of this page's client address (a refusal is a ``Throttled`` message)."""
        if not self.still_signed_in():
            return Failed('You have been logged out.')
        with self.client, from_address(self.address):
            return await attempt(self.chat.run(fn, actor_id=self.me, **kwargs), quiet=quiet)
