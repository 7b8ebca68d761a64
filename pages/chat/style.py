"""The conversation view's stylesheet (``chat.css``), added once for all pages."""

from pathlib import Path

from nicegui import Client, ui

CSS = Path(__file__).with_name('chat.css')
MARK = 'chatapp-chat-css'
"""The stylesheet's first comment: NiceGUI's test reset empties the shared head, so "once" is checked there."""


def install() -> None:
    """Add ``chat.css`` to every page's head, unless it is there already."""
    if MARK not in Client.shared_head_html:
        ui.add_css(CSS.read_text(encoding='utf-8'), shared=True)
