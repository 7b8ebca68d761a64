"""Resting pages: a conversation page nobody has looked at for a long time gives its memory back.

An open chat page holds its element tree, its inbox rows, the messages it shows and their HTML on the server: about
380 KB (docs/benchmarks.md). Most open tabs are not being looked at: a second tab, a minimised window, a phone in a
pocket. A page that the browser has reported hidden (the Page Visibility API, as ``pages.chat.attention`` reads it)
for ``dormant_after_seconds`` goes to rest, as Chromium's Memory Saver discards a background tab:

- The page notes its title in this tab's storage on the server, and the browser replaces it with
  ``/rest?next=<its path>`` (``location.replace``: no history entry, so Back never leads to the resting page). NiceGUI
  then deletes the old page as it deletes any closed page, and ``pages.release`` frees it. The path travels in the
  address, so a resting tab still knows where it was after a restart of the server (which forgets tab storage);
  it is only ever a path of this app (``pages.navigation.safe_next``).
- ``/rest`` shows no conversation and keeps only what a hidden tab is for: the unread count in its title and the
  toasts (``pages.inbox.notifier``), the person's presence (its socket is connected), and the session watch.
- The moment the tab shows again, ``/rest`` replaces itself with the page it stands for, built from the database like
  any page load: every message is there once, the "New messages" line at the first unread one, and the box's draft and
  any unconfirmed sends come back from the tab's ``sessionStorage`` (``pages.chat.composer``).

A page does not rest while it has sends not yet stored (they are kept for a retry by the page itself) or a dialog
open (a half-filled "New group" form would be lost); it tries again ``RETRY_SECONDS`` later. A tab whose browser never
reports its visibility (a client that runs no script) never rests: it never said it was hidden.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from nicegui import Client, events, ui

from chatapp.app import ChatApp
from pages.chat.attention import EVENT, WATCH_STATE, visibility_args
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.inbox.notifier import Notifier
from pages.navigation import HOME, safe_next
from pages.theme import render_in_stored_mode

REST_PATH = '/rest'
RESTING = 'resting'
"""Key of the tab's storage under which a page going to rest leaves ``{'path': …, 'title': …}`` for ``/rest``: the
title is shown only while the path is the one ``/rest`` returns to."""
RETRY_SECONDS = 60.0
"""How long a page that could not rest (a send on its way, a dialog open) waits before it tries again."""
_GO = 'location.replace(__PATH__)'
"""Fixed code; the only value put in is a path of this app, JSON-encoded."""


def visibility(args: Any) -> str | None:
    """``'visible'`` or ``'hidden'`` from the browser's visibility event, else None."""
    event = visibility_args(args)
    return event['state'] if event is not None else None


def go(client: Client, path: str) -> None:
    """Replace the tab's page with ``path`` (a path of this app), leaving no history entry."""
    client.run_javascript(_GO.replace('__PATH__', json.dumps(safe_next(path))))


class Dormancy:
    """Sends its page to rest once it has been hidden for ``after`` seconds (see the module docstring). ``busy``
    says whether the page has something that resting would lose."""

    def __init__(self, identity: Identity, *, after: float, path: str, title: str,
                 busy: Callable[[], bool]) -> None:
        self.client = ui.context.client
        self.tab = identity.tab
        self.after = after
        self.path = path
        self.title = title
        self.busy = busy
        self.resting = False
        self._timer: asyncio.TimerHandle | None = None
        ui.on(EVENT, self._changed)
        # A hidden tab that is closed must not leave a timer behind: ``pages.release`` frees no page with one pending.
        self.client.on_delete(self._disarm)

    def watch(self) -> None:
        """Ask the browser for its visibility, now and on every change. A chat view's ``Attention`` asks already;
        this is for the pages without one."""
        self.client.run_javascript(WATCH_STATE)

    def _changed(self, event: events.GenericEventArguments) -> None:
        state = visibility(event.args)
        if state == 'hidden':
            self._arm(self.after)
        elif state == 'visible':
            self._disarm()

    def _arm(self, delay: float) -> None:
        if self._timer is None and not self.resting:
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self) -> None:
        self._timer = None
        if self.client.is_deleted or self.resting:
            return
        if self.busy() or _dialog_open(self.client):
            self._arm(RETRY_SECONDS)
            return
        self.resting = True
        self.tab[RESTING] = {'path': self.path, 'title': self.title}
        go(self.client, f'{REST_PATH}?next={quote(self.path, safe="")}')


def _dialog_open(client: Client) -> bool:
    return any(isinstance(element, ui.dialog) and element.value for element in client.elements.values())


def register(chat: ChatApp) -> None:
    @ui.page(REST_PATH)
    async def rest_page(client: Client, next: str = HOME) -> Any:
        """What a resting tab keeps (see the module docstring); it goes back to ``next`` the moment it shows."""
        path = safe_next(next)
        if redirect := anonymous_redirect(path):
            return redirect
        render_in_stored_mode()  # the page flashes by when the tab shows: in the person's colours
        ui.page_title('chatapp')
        identity = await require_identity(chat, client, path)
        if identity is None:
            return None
        noted = identity.tab.get(RESTING)
        if isinstance(noted, dict) and noted.get('path') == path and isinstance(noted.get('title'), str):
            ui.page_title(noted['title'])

        def changed(event: events.GenericEventArguments) -> None:
            if visibility(event.args) == 'visible':
                go(client, path)

        ui.on(EVENT, changed)
        hook(ui.label('Welcome back…'), 'resting').classes('muted self-center mt-16')
        notifier = Notifier(chat, identity)
        await chat.hub.attach(identity.user.id, notifier, client)
        await notifier.start()
        client.run_javascript(WATCH_STATE)  # a tab that shows already (it came back meanwhile) goes back at once
        return None
