"""What every signed-in view shares: acting as the tab's account, re-checked before each action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from nicegui import ui

from chatapp.app import ChatApp
from chatapp.services.tx import Tx
from pages.feedback import Failed, attempt
from pages.identity import Identity

P = ParamSpec('P')
R = TypeVar('R')


class SignedInView:
    """Base of views that act for the signed-in person of a tab."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        self.chat = chat
        self.identity = identity

    @property
    def me(self) -> int:
        return self.identity.user.id

    async def act(self, fn: Callable[Concatenate[Tx, P], R], /, *, quiet: bool = False, **kwargs: Any) -> R | Failed:
        """Run service ``fn`` as this tab's account, after checking that the tab still is that account."""
        if not self.identity.is_current():
            ui.navigate.to('/login')
            return Failed('You have been logged out.')
        return await attempt(self.chat.run(fn, actor_id=self.me, **kwargs), quiet=quiet)
