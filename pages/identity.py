"""Who this browser tab is.

A browser may prove several accounts (``app.storage.user['accounts']``, server-side, keyed by the signed session
cookie); each tab picks one (``app.storage.tab['user_id']``), so one browser can hold alice in one tab and bob in
another. Both are read again on every page, before every action and before a view shows an event: a tab whose
account was logged out in another tab goes to the login page at its next step.

NiceGUI keeps ``app.storage.tab`` in memory (unless its storage is in Redis), so a restart of the process would
sign every tab out. The browser's storage, which NiceGUI keeps in a file, therefore also notes which account each
of its tabs picked (``app.storage.user['tabs']``, keyed by the tab id that the browser keeps in sessionStorage
across reloads); a tab that comes back to a process that does not know it takes its account from there. It is the
same browser's storage, and the account must still be one the browser proved, so a tab id sent by another browser
finds nothing.

A proof records the account's session epoch at login (``app.storage.user['epochs']``); "sign out everywhere", a
password change and deleting the account move the epoch on (``services.sessions``), and a proof of an older epoch no
longer counts. A page load compares the two (it reads the account anyway), and each signed-in page hears
``SessionsEnded`` (``pages.session_watch``), so no action pays a query for it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nicegui import Client, app, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.schemas import Account, UserPublic
from chatapp.services.users import get_user
from pages.navigation import login_url
from pages.session_watch import SessionWatch
from pages.timezone import BrowserZone

ACCOUNTS = 'accounts'
EPOCHS = 'epochs'
"""``app.storage.user[EPOCHS]``: ``{str(user_id): session epoch at login}``; missing means 0 (proofs made before
epochs existed, when every account's epoch was 0)."""
TAB_USER = 'user_id'
TABS = 'tabs'
"""``app.storage.user[TABS]``: ``{tab_id: [user_id, unix time of the choice]}``."""
MAX_TABS = 30
"""Tabs one browser's storage remembers; the oldest choices go first. A tab id is chosen by the browser, so the map
must stay bounded whatever a client sends."""
MAX_TAB_ID = 64
"""Longest tab id noted (NiceGUI's are UUIDs, 36 characters); a longer one is a client's invention."""
TAB_MEMORY_SECONDS = 30 * 24 * 3600
"""How long a tab's choice is remembered: NiceGUI keeps a tab's own storage as long (``max_tab_storage_age``)."""


@dataclass
class Identity:
    """The signed-in account of one tab, with the storages it was read from (captured while the page's request was
    current, because ``app.storage.user`` is bound to the request, not to later socket events)."""

    user: UserPublic
    accounts: dict[str, Any]
    tab: dict[str, Any]
    tab_id: str | None = None
    browser: str = ''
    """A tag of this browser (a digest of its session id, which it does not reveal): the browser that changes the
    password names itself with it and stays signed in."""
    redraws: list[Callable[[], None]] = field(default_factory=list)
    """What the page draws from ``user``'s name and picture (the page header), drawn again when they change."""

    def is_current(self) -> bool:
        """True while this tab is still signed in as ``user`` and the browser has not logged that account out."""
        return self.tab.get(TAB_USER) == self.user.id and str(self.user.id) in self.accounts.get(ACCOUNTS, {})

    def log_out(self) -> None:
        """Forget the account in this browser and sign this tab out; other tabs keep their own accounts (a tab that
        used this one goes to the login page at its next step). One write, see ``remember``."""
        accounts = dict(self.accounts.get(ACCOUNTS, {}))
        accounts.pop(str(self.user.id), None)
        tabs = {tab_id: entry for tab_id, entry in _tabs(self.accounts).items()
                if entry[0] != self.user.id and tab_id != self.tab_id}
        self.accounts.update({ACCOUNTS: accounts, TABS: tabs, EPOCHS: _epochs_without(self.accounts, self.user.id)})
        self.tab.pop(TAB_USER, None)

    def profile_changed(self, display_name: str, avatar: str | None) -> None:
        """The account has a new name or picture (``ProfileChanged``, or read after a reconnect): what the page shows
        of it follows."""
        user = self.user.model_copy(update={'display_name': display_name, 'avatar': avatar})
        if user != self.user:
            self.user = user
            for redraw in self.redraws:
                redraw()

    def renew(self, epoch: int) -> None:
        """Record that this browser's proof holds for ``epoch``: it changed the password and stays signed in."""
        self.accounts[EPOCHS] = {**_epochs(self.accounts), str(self.user.id): epoch}

    def sessions_ended(self, epoch: int, kept: str | None) -> bool:
        """The account's proofs older than ``epoch`` stopped counting (``SessionsEnded``): True, after forgetting the
        account in this browser, when this browser's proof is one of them and the browser is not the one ``kept``."""
        if (kept is not None and kept == self.browser) or proof_epoch(self.accounts, self.user.id) >= epoch:
            return False
        self.forget()
        return True

    def forget(self) -> None:
        """Forget this account in this browser (every tab of it that uses the account leaves at its next step)."""
        forget(self.accounts, self.user.id)


def browser_accounts() -> dict[str, str]:
    """The accounts this browser has proven: ``{str(user_id): username}``."""
    return dict(app.storage.user.get(ACCOUNTS, {}))


def remember(storage: dict[str, Any], user: UserPublic, zone: BrowserZone) -> None:
    """Sign this tab in as ``user`` after a login or signup; ``storage`` is ``app.storage.user`` as captured while
    the page's request was current (event handlers run later, outside that request).

    The account, this tab's choice of it and the browser's time ``zone`` (when known by now) go into the browser's
    storage in one write. With Redis storage (several processes) NiceGUI applies the echo of each of its own writes
    when it comes back from Redis: an echo of an earlier write that arrives after a later one undoes the later one
    for a moment, and a page loaded in that moment found no account and went back to the login page (the load tool
    caught it). One write has no earlier echo to fear."""
    accounts = dict(storage.get(ACCOUNTS, {}))
    accounts[str(user.id)] = user.username
    epochs = {**_epochs(storage), str(user.id): user.session_epoch if isinstance(user, Account) else 0}
    storage.update({ACCOUNTS: accounts, EPOCHS: epochs, **choose(storage, user.id), **zone.keep_in(storage)})
    app.storage.tab[TAB_USER] = user.id


def choose(storage: dict[str, Any], user_id: int) -> dict[str, Any]:
    """The entry to write into the browser's ``storage`` (with whatever else is written now) so that this tab
    comes back as ``user_id`` after a restart; call it in the tab's own context (a page or its event handler)."""
    tab_id = ui.context.client.tab_id
    if tab_id is None or len(tab_id) > MAX_TAB_ID:
        return {}
    now = time.time()
    kept = sorted(((other, entry) for other, entry in _tabs(storage).items()
                   if other != tab_id and now - entry[1] < TAB_MEMORY_SECONDS), key=lambda item: item[1][1])
    return {TABS: dict([*kept[-(MAX_TABS - 1):], (tab_id, [user_id, now])])}


def proof_epoch(storage: dict[str, Any], user_id: int) -> int:
    """The session epoch at which this browser proved ``user_id``."""
    epoch = _epochs(storage).get(str(user_id), 0)
    return epoch if isinstance(epoch, int) else 0


def forget(storage: dict[str, Any], user_id: int) -> None:
    """Forget ``user_id`` in this browser (its proof, its epoch and its tabs' notes), in one write; nothing when the
    browser no longer holds it (several tabs may hear the same ``SessionsEnded``)."""
    if str(user_id) not in storage.get(ACCOUNTS, {}):
        return
    accounts = {uid: name for uid, name in storage.get(ACCOUNTS, {}).items() if uid != str(user_id)}
    tabs = {tab_id: entry for tab_id, entry in _tabs(storage).items() if entry[0] != user_id}
    storage.update({ACCOUNTS: accounts, TABS: tabs, EPOCHS: _epochs_without(storage, user_id)})


def browser_tag(client: Client) -> str:
    """A tag of the browser that requested ``client``'s page (see ``Identity.browser``); '' without a session."""
    session_id = client.request.session.get('id') if client.request is not None else None
    return hashlib.blake2b(session_id.encode(), digest_size=16).hexdigest() if isinstance(session_id, str) else ''


def tab_account(storage: dict[str, Any], client: Client) -> int | None:
    """The account this tab uses, if the browser still holds it: the tab's own storage, or after a restart (which
    emptied that) the browser's note of the tab's choice. Needs the socket (``await client.connected()``)."""
    tab = app.storage.tab
    user_id = tab.get(TAB_USER)
    if user_id is None and client.tab_id is not None:
        entry = _tabs(storage).get(client.tab_id)
        if entry is not None:
            user_id = tab[TAB_USER] = entry[0]
    if isinstance(user_id, int) and str(user_id) in storage.get(ACCOUNTS, {}):
        return user_id
    return None


def anonymous_redirect(path: str) -> RedirectResponse | None:
    """During the page's HTTP request: a redirect to the login page when this browser holds no account at all."""
    if browser_accounts():
        return None
    return RedirectResponse(login_url(path), status_code=303)


async def require_identity(chat: ChatApp, client: Client, path: str) -> Identity | None:
    """After the socket connects: the tab's account, or None after sending the tab to the login page."""
    accounts = app.storage.user
    browser = browser_tag(client)
    navigate = ui.navigate  # see pages.navigation
    await client.connected()
    if not client.has_socket_connection:
        return None  # the tab went away before its socket connected (NiceGUI then deletes the page)
    tab = app.storage.tab
    user_id = tab_account(accounts, client)
    if user_id is not None:
        user = await chat.run(get_user, user_id=user_id)
        if user is not None and proof_epoch(accounts, user_id) >= user.session_epoch:
            identity = Identity(user=user, accounts=accounts, tab=tab, tab_id=client.tab_id, browser=browser)
            await chat.hub.attach(user_id, SessionWatch(chat, identity, client, path), client)
            return identity
        if user is not None:
            forget(accounts, user_id)  # signed out everywhere since this browser proved the account
        else:
            # The account is gone: forget the tab's note too, or the login page would send the tab back here.
            accounts[TABS] = {tab_id: entry for tab_id, entry in _tabs(accounts).items() if tab_id != client.tab_id}
    tab.pop(TAB_USER, None)
    navigate.to(login_url(path))
    return None


def _epochs(storage: dict[str, Any]) -> dict[str, Any]:
    epochs = storage.get(EPOCHS)
    return dict(epochs) if isinstance(epochs, dict) else {}


def _epochs_without(storage: dict[str, Any], user_id: int) -> dict[str, Any]:
    return {uid: epoch for uid, epoch in _epochs(storage).items() if uid != str(user_id)}


def _tabs(storage: dict[str, Any]) -> dict[str, list[Any]]:
    """The browser's notes of its tabs' choices, well-formed ones only (the storage is ours, but outlives versions)."""
    tabs = storage.get(TABS)
    if not isinstance(tabs, dict):
        return {}
    return {tab_id: entry for tab_id, entry in tabs.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
            and isinstance(entry[1], int | float)}
