"""Who this browser tab is.

A browser may prove several accounts (``app.storage.user['accounts']``, server-side, keyed by the signed session
cookie); each tab picks one (``app.storage.tab['user_id']``), so one browser can hold alice in one tab and bob in
another. Both are read again on every page, before every action and before a view shows an event: a tab whose
account was logged out in another tab goes to the login page at its next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nicegui import Client, app, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.schemas import UserPublic
from chatapp.services.users import get_user
from pages.navigation import login_url
from pages.timezone import BrowserZone

ACCOUNTS = 'accounts'
TAB_USER = 'user_id'


@dataclass
class Identity:
    """The signed-in account of one tab, with the storages it was read from (captured while the page's request was
    current, because ``app.storage.user`` is bound to the request, not to later socket events)."""

    user: UserPublic
    accounts: dict[str, Any]
    tab: dict[str, Any]

    def is_current(self) -> bool:
        """True while this tab is still signed in as ``user`` and the browser has not logged that account out."""
        return self.tab.get(TAB_USER) == self.user.id and str(self.user.id) in self.accounts.get(ACCOUNTS, {})

    def log_out(self) -> None:
        """Forget the account in this browser and sign this tab out; other tabs keep their own accounts."""
        accounts = dict(self.accounts.get(ACCOUNTS, {}))
        accounts.pop(str(self.user.id), None)
        self.accounts[ACCOUNTS] = accounts
        self.tab.pop(TAB_USER, None)


def browser_accounts() -> dict[str, str]:
    """The accounts this browser has proven: ``{str(user_id): username}``."""
    return dict(app.storage.user.get(ACCOUNTS, {}))


def remember(storage: dict[str, Any], user: UserPublic, zone: BrowserZone) -> None:
    """Sign this tab in as ``user`` after a login or signup; ``storage`` is ``app.storage.user`` as captured while
    the page's request was current (event handlers run later, outside that request).

    The account and the browser's time ``zone`` (when known by now) go into the browser's storage in one write.
    With Redis storage (several processes) NiceGUI applies the echo of each of its own writes when it comes back
    from Redis: an echo of an earlier write that arrives after a later one undoes the later one for a moment, and a
    page loaded in that moment found no account and went back to the login page (the load tool caught it). One
    write has no earlier echo to fear."""
    accounts = dict(storage.get(ACCOUNTS, {}))
    accounts[str(user.id)] = user.username
    storage.update({ACCOUNTS: accounts, **zone.keep_in(storage)})
    app.storage.tab[TAB_USER] = user.id


def anonymous_redirect(path: str) -> RedirectResponse | None:
    """During the page's HTTP request: a redirect to the login page when this browser holds no account at all."""
    if browser_accounts():
        return None
    return RedirectResponse(login_url(path), status_code=303)


async def require_identity(chat: ChatApp, client: Client, path: str) -> Identity | None:
    """After the socket connects: the tab's account, or None after sending the tab to the login page."""
    accounts = app.storage.user
    navigate = ui.navigate  # see pages.navigation.NAVIGATE_NOTE
    await client.connected()
    tab = app.storage.tab
    user_id = tab.get(TAB_USER)
    if isinstance(user_id, int) and str(user_id) in accounts.get(ACCOUNTS, {}):
        user = await chat.run(get_user, user_id=user_id)
        if user is not None:
            return Identity(user=user, accounts=accounts, tab=tab)
    tab.pop(TAB_USER, None)
    navigate.to(login_url(path))
    return None
