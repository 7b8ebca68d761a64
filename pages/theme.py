"""The look: colours, the shared CSS, one style for every input, and dark mode from the first paint."""

from __future__ import annotations

import copy
from pathlib import Path

from nicegui import app, ui

from pages.hooks import hook

CSS = Path(__file__).with_name('theme.css')
DARK = 'dark_mode'
PRIMARY = '#4f46e5'
"""Indigo 600: white text on it has a contrast of 6.3:1 (indigo 500, used before, had 4.46:1, below WCAG's 4.5)."""
INPUT_PROPS = 'outlined dense'
"""Every text field looks the same: outlined, dense. Set once as NiceGUI's class default, so no page chooses."""


def install() -> None:
    """Add the shared CSS, the colours and the input style to all pages."""
    ui.add_css(CSS.read_text(encoding='utf-8'), shared=True)
    app.colors(primary=PRIMARY, secondary='#db2777', accent='#0f766e', positive='#15803d', negative='#dc2626')
    for field in (ui.input, ui.textarea, ui.number, ui.select):
        field.default_props(INPUT_PROPS)


def dark_mode_toggle(*, push_right: bool = False) -> None:
    """A button that flips light/dark and remembers the choice for this browser; ``push_right``: it is the first
    thing on the right of the header.

    The page is rendered in the stored mode from its first paint (see ``_render_in``); the toggle is a switch button
    (``aria-pressed``) whose name does not change, as the ARIA practices advise for toggle buttons. Its hint is the
    browser's own (``title``): a Quasar tooltip would be one more element on every open page."""
    storage = app.storage.user  # bound to this request; the click arrives later over the socket
    dark = bool(storage.get(DARK, False))
    _render_in(dark)
    mode = ui.dark_mode(dark)

    def flip() -> None:
        mode.value = not mode.value
        storage[DARK] = mode.value
        button.props(f'icon={_icon(mode.value)} aria-pressed={str(mode.value).lower()}')

    button = hook(ui.button(icon=_icon(dark), on_click=flip), 'dark-mode') \
        .props(f'flat round dense color=primary aria-label="Dark mode" title="Dark mode" '
               f'aria-pressed={str(dark).lower()}')
    if push_right:
        button.classes('ml-auto')


def render_in_stored_mode() -> None:
    """Render this page in the mode the person chose, for a page without the header's toggle (``/rest``)."""
    _render_in(bool(app.storage.user.get(DARK, False)))


def _icon(dark: bool) -> str:
    return 'light_mode' if dark else 'dark_mode'


def _render_in(dark: bool) -> None:
    """Make the HTML this page sends say ``dark``.

    NiceGUI renders ``<meta name="color-scheme">`` and the mode Quasar starts in from the *page's* ``dark`` setting,
    which is one value for everybody, and ``ui.dark_mode`` only acts once the page's JavaScript has run: a person who
    chose dark saw 100-200 ms of the light page first. This client gets a copy of its page with this person's choice,
    so the server writes ``content="dark"`` and Quasar starts dark; ``theme.css`` keys the body's background on that
    meta tag for the paint before any script ran."""
    client = ui.context.client
    if client.page.resolve_dark() is not dark:
        page = copy.copy(client.page)  # the route's page object is shared by every request: never change it
        page.dark = dark
        client.page = page
