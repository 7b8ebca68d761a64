"""A chat message as one element, and a page of them as one element.

``ui.chat_message`` renders each text as a child ``ui.html`` inside a ``q-chat-message``: two elements a message,
and Quasar ignores a text given any other way (NiceGUI always passes a default slot). A ``div`` whose only child is
its own text (a Vue text node: escaped, never HTML), with the sender's name and the time drawn by CSS from its
``data-`` attributes, needs one: half the server memory per shown message, and half the work for every open page a
message reaches. The bubble's look lives in ``theme.css`` (``.bubble``).
"""

from __future__ import annotations

from html import escape

from nicegui.elements.html import Html
from nicegui.elements.mixins.text_element import TextElement


class Bubble(TextElement):
    """One message: its text, who sent it and when; ``sent`` puts it on the right in the sender's colour."""

    def __init__(self, text: str, name: str, stamp: str, sent: bool) -> None:
        super().__init__(tag='div', text=text)
        self._classes.append('bubble bubble--sent' if sent else 'bubble bubble--received')
        self._props['data-name'] = name
        self._props['data-stamp'] = stamp

    def _displayed_contents(self, *, only_visible: bool) -> list:
        return [*super()._displayed_contents(only_visible=only_visible), self._props['data-name']]


class Block(Html):
    """A page of messages as one element: the same bubbles as ``Bubble`` would make, as escaped HTML.

    History comes 50 messages at a time (the newest page when the chat opens, an earlier one on demand) and never
    changes afterwards, so it needs no element per message: a chat page showing 50 messages holds one element for
    them instead of 50. Every text, name and time is escaped here, and DOMPurify sanitises the result again in the
    browser."""

    def __init__(self, bubbles: list[tuple[str, str, str, bool]]) -> None:
        super().__init__(''.join(_bubble_html(*bubble) for bubble in bubbles))
        self._classes.append('bubble-block')


def _bubble_html(text: str, name: str, stamp: str, sent: bool) -> str:
    kind = 'sent' if sent else 'received'
    return (f'<div class="bubble bubble--{kind}" data-testid="message" data-name="{escape(name)}" '
            f'data-stamp="{escape(stamp)}">{escape(text)}</div>')
