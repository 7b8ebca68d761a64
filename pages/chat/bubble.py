"""Chat messages as blocks: one element holds several messages, as escaped HTML drawn by CSS (``.bubble``).

``ui.chat_message`` makes two elements a message (a ``q-chat-message`` and a ``ui.html`` for its text). NiceGUI
elements are what a page costs, in server memory and in server time for every open page a message reaches, so
messages share elements instead: a page of history is one block, and messages that arrive live join the newest
block until it is full (see ``pages.chat.window``). Each message is a ``div`` with its text (escaped here); the
sender's name (first of a run of one sender's messages) and the time (last of the run) are ``data-`` attributes that
the stylesheet shows. A block is drawn whole from its messages (``Block.show``), so a message that joins a run
simply redraws the block and the previous message loses its time. DOMPurify sanitises the HTML again in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape

from nicegui.elements.html import Html

from chatapp.schemas import MessageData


@dataclass(frozen=True)
class Look:
    """A message as a view shows it (see ``pages.chat.painter``)."""

    text: str
    mine: bool
    name: str | None = None
    """Shown above the bubble: the first message of a run of one sender (never on my side in a direct chat)."""
    stamp: str | None = None
    """Shown below the bubble: the last message of a run."""
    event: bool = False
    """A timeline event ("Alice added Bob"): a small centred line, never a bubble."""
    divider: bool = False
    """The "New messages" line goes before this message."""
    receipt: str | None = None
    """"Seen 14:02" / "Seen by 3" under this message."""
    receipt_names: bool = False
    """The receipt opens the list of who has read it (groups)."""


@dataclass(frozen=True, slots=True)
class Shown:
    """A message as a block keeps it: what drawing it takes. Every open page holds up to ``MAX_SHOWN`` of these, and a
    ``MessageData`` (a pydantic model) costs about five times the memory."""

    seq: int
    sender_id: int
    body: str
    created_at: datetime
    kind: str = 'text'

    @classmethod
    def of(cls, message: MessageData) -> Shown:
        return cls(message.seq, message.sender_id, message.body, message.created_at, message.kind)


class Block(Html):
    """Messages in a row, oldest first; ``messages`` is what it holds, ``show`` draws them."""

    def __init__(self, messages: Sequence[MessageData]) -> None:
        super().__init__('')
        self.messages = [Shown.of(message) for message in messages]
        self._classes.append('bubble-block')

    def show(self, looks: Sequence[Look]) -> None:
        """Draw ``looks`` (one per message); nothing is sent when the block looks the same."""
        content = ''.join(_html(look) for look in looks)
        if content != self.content:
            self.content = content


@lru_cache(maxsize=4096)
def _html(look: Look) -> str:
    """Remembered: a live message redraws its whole block, on every page it reaches, so the same looks are drawn again
    and again (looks are immutable, and the text a look holds is shared with the message)."""
    parts = ['<div class="new-divider" data-testid="new-messages" role="separator">New messages</div>'
             if look.divider else '']
    if look.event:
        parts.append(f'<div class="timeline-event" data-testid="timeline-event">{escape(look.text)}</div>')
    else:
        kind = 'sent' if look.mine else 'received'
        name = f' data-name="{escape(look.name)}"' if look.name else ''
        stamp = f' data-stamp="{escape(look.stamp)}"' if look.stamp else ''
        parts.append(f'<div class="bubble bubble--{kind}" data-testid="message"{name}{stamp}>{escape(look.text)}</div>')
    if look.receipt:
        side = 'receipt--sent' if look.mine else 'receipt--received'
        if look.receipt_names:
            parts.append(f'<button type="button" class="receipt {side}" data-testid="receipt" data-receipt="1">'
                         f'{escape(look.receipt)}</button>')
        else:
            parts.append(f'<div class="receipt {side}" data-testid="receipt">{escape(look.receipt)}</div>')
    return ''.join(parts)
