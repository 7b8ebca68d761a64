"""Signing a page out when its account's sessions end elsewhere: "sign out everywhere", a password change in another
browser, the account deleted (``services.sessions``, ``services.deletion``).

Every signed-in page gets one watch (``pages.identity.require_identity`` attaches it to the hub), so the views of the
page need not know about it: once the watch has forgotten the account in the browser, their ``still_signed_in``
fails at their next step. No action reads the database for it; a reconnect (when an event may have been missed)
reads the account once. The watch also hears ``ProfileChanged`` for the account: the page header (``pages.frame``)
shows the person's new name and picture, from the event or from that read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nicegui import Client, ui

from chatapp.events import Event, ProfileChanged, SessionsEnded
from chatapp.services.users import get_user
from pages.navigation import login_url

if TYPE_CHECKING:
    from chatapp.app import ChatApp
    from pages.identity import Identity


class SessionWatch:
    """A hub view that sends its page to the login page when the browser's proof of the account stops counting."""

    def __init__(self, chat: ChatApp, identity: Identity, client: Client, path: str) -> None:
        self.chat = chat
        self.identity = identity
        self.client = client
        self.path = path
        self.navigate = ui.navigate  # see pages.navigation

    async def handle(self, event: Event) -> None:
        if (isinstance(event, SessionsEnded) and event.user_id == self.identity.user.id
                and self.identity.sessions_ended(event.epoch, event.kept)):
            self._leave()
        elif isinstance(event, ProfileChanged) and event.user_id == self.identity.user.id:
            self.identity.profile_changed(event.display_name, event.avatar)  # the page header shows my new name

    async def resync(self) -> None:
        """After a reconnect or a broker gap the event may have been missed: read the account's epoch once."""
        account = await self.chat.run(get_user, user_id=self.identity.user.id)
        if account is None:
            self.identity.forget()
            self._leave()
        elif self.identity.sessions_ended(account.session_epoch, None):
            self._leave()
        else:
            self.identity.profile_changed(account.display_name, account.avatar)  # in case its event was missed

    def _leave(self) -> None:
        with self.client:
            self.navigate.to(login_url(self.path))
