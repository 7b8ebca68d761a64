"""Chat messages as blocks: one element holds several messages, as escaped HTML drawn by CSS (``.bubble``).

``ui.chat_message`` makes two elements a message (a ``q-chat-message`` and a ``ui.html`` for its text). NiceGUI
elements are what a page costs, in server memory and in server time for every open page a message reaches, so
messages share elements instead: a page of history is one block, and messages that arrive live join the newest
block until it is full (see ``pages.chat.window``). Each message is a ``div`` with its text (escaped here), the
sender's name and the time in ``data-`` attributes that the stylesheet shows; DOMPurify sanitises the HTML again in
the browser.
"""

from __future__ import annotations

from html import escape

from nicegui.elements.html import Html

Look = tuple[str, str, str, bool]
"""A message as a view shows it: text, sender's name, time, and whether the viewer sent it."""


class Block(Html):
    """Messages in a row, oldest first."""

    def __init__(self, messages: list[Look]) -> None:
        super().__init__(''.join(_bubble_html(*message) for message in messages))
        self._classes.append('bubble-block')

    def extend(self, message: Look) -> None:
        """Show one more message at the end: the browser gets the block anew, a few messages long."""
        self.content += _bubble_html(*message)


def _bubble_html(text: str, name: str, stamp: str, sent: bool) -> str:
    kind = 'sent' if sent else 'received'
    return (f'<div class="bubble bubble--{kind}" data-testid="message" data-name="{escape(name)}" '
            f'data-stamp="{escape(stamp)}">{escape(text)}</div>')
