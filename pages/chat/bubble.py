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

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape

from nicegui.elements.html import Html

from chatapp.schemas import AttachmentInfo, MessageData, Quote
from pages.chat import rich_text
from pages.narrow import narrow

Reacted = tuple[tuple[str, tuple[int, ...]], ...]
"""A message's reactions as a view keeps them: ``(emoji, ids of who chose it)`` in the order emoji were first used."""


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
    seq: int = 0
    deleted: bool = False
    edited: bool = False
    quote: tuple[str, str] | None = None
    """The message this one answers: (sender's name, start of its first line)."""
    reactions: tuple[tuple[str, int, bool, str], ...] = ()
    """(emoji, how many, whether I am among them, who) for each emoji used."""
    mentionable: frozenset[str] = frozenset()
    """Usernames (lower-case) whose mentions are highlighted; empty unless the text holds an ``@``."""
    actions: bool = False
    """The bubble offers its actions (react, reply, and edit and delete on mine)."""
    target: bool = False
    """The message a jump went to (a reply's quote, a search result): highlighted."""
    collapsed: bool = False
    """From someone I block (in a group): folded away, opened on demand."""
    attachment: Attached | None = None
    """The picture or file the message carries, with the links that fetch it for this viewer."""
    avatar: str | None = None
    """The sender's picture beside the name (groups, the first message of a run): an ``<img>`` made by
    ``pages.avatar.avatar_img``."""


@dataclass(frozen=True)
class Attached:
    """A picture or file as a bubble shows it."""

    image: bool
    filename: str
    size: str
    full_url: str
    thumb_url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Carried:
    """A message's file as a block keeps it: ``AttachmentInfo``'s fields without pydantic's dictionary and set of
    fields on each instance (a page of 20 pictures kept about 18 KB more as ``AttachmentInfo``)."""

    id: int
    kind: str
    filename: str
    size: int
    width: int | None
    height: int | None

    @classmethod
    def of(cls, info: AttachmentInfo | None) -> Carried | None:
        if info is None:
            return None
        return cls(info.id, info.kind, info.filename, info.size, info.width, info.height)


@dataclass(frozen=True, slots=True)
class Shown:
    """A message as a block keeps it: what drawing it takes. Every open page holds up to ``MAX_SHOWN`` of these, and a
    ``MessageData`` (a pydantic model) costs about five times the memory."""

    seq: int
    sender_id: int
    body: str
    created_at: datetime
    kind: str = 'text'
    deleted: bool = False
    edited: bool = False
    change_seq: int = 0
    reply: Quote | None = None
    reactions: Reacted = ()
    """``(emoji, user ids)`` for each emoji used: plain tuples, not the pydantic ``Reactions`` (a page keeps up to
    ``MAX_SHOWN`` messages, each with its reactions)."""
    attachment: Carried | None = None

    @classmethod
    def of(cls, message: MessageData) -> Shown:
        if not (message.change_seq or message.reply or message.attachment):  # the common case: nothing but text
            return cls(message.seq, message.sender_id, message.body, message.created_at, message.kind)
        return cls(message.seq, message.sender_id, message.body, message.created_at, message.kind, message.deleted,
                   message.edited_at is not None, message.change_seq, message.reply,
                   tuple((each.emoji, each.user_ids) for each in message.reactions),
                   None if message.deleted else Carried.of(message.attachment))


def trusted(content: str) -> str:
    """The "sanitiser" of a block: its HTML is built here, and every text in it (each a person's) is escaped by
    ``_html`` and ``rich_text.to_html``. DOMPurify in the browser would remove ``target`` from links, which must
    open in a new tab; ``tests/pages/test_bubble_html.py`` feeds hostile text through and checks what comes out."""
    return content


class Block(Html):
    """Messages in a row, oldest first; ``messages`` is what it holds, ``show`` draws them."""

    def __init__(self, messages: Sequence[MessageData]) -> None:
        super().__init__('', sanitize=trusted)
        self.messages = [Shown.of(message) for message in messages]
        self._classes.append('bubble-block')
        self._ends = array('I')
        """Where each drawn message's HTML ends in ``content``. A message that joins the live block changes the looks
        of only itself and the message before it (which loses its time), so a redraw keeps the HTML before those
        two instead of painting the whole block again (scenario c, docs/benchmarks.md)."""

    @property
    def drawn(self) -> int:
        """How many messages ``content`` shows (``show`` may start from any of them, or from the next)."""
        return len(self._ends)

    def show(self, looks: Sequence[Look], *, start: int = 0) -> None:
        """Draw ``looks``, one per message from message ``start`` on; the HTML of the messages before ``start`` is kept
        as drawn. Nothing is sent when the block looks the same."""
        if not 0 <= start <= len(self._ends):
            raise ValueError(f'cannot draw from message {start} of a block that shows {len(self._ends)}')
        kept = self._ends[start - 1] if start else 0
        ends = self._ends[:start]
        parts = [self.content[:kept]]
        end = kept
        for look in looks:
            part = _html(look)
            end += len(part)
            ends.append(end)
            parts.append(part)
        content = ''.join(parts)
        self._ends = ends
        if content != self.content:
            self.content = content


@lru_cache(maxsize=4096)
def _html(look: Look) -> str:
    """Remembered: a live message redraws its whole block, on every page it reaches, so the same looks are drawn again
    and again (looks are immutable, and the text a look holds is shared with the message). No whitespace between
    tags: bubbles keep the text's own line breaks (``pre-wrap``). Narrowed (``pages.narrow``): one reaction's emoji
    would otherwise store the whole block at four bytes a character."""
    parts = ['<div class="new-divider" data-testid="new-messages" role="separator">New messages</div>'
             if look.divider else '']
    if look.event:
        parts.append(f'<div class="timeline-event" data-testid="timeline-event">{escape(look.text)}</div>')
    else:
        parts.append(_bubble(look))
    if look.receipt:
        side = 'receipt--sent' if look.mine else 'receipt--received'
        if look.receipt_names:
            parts.append(f'<button type="button" class="receipt {side}" data-testid="receipt" data-act="readers">'
                         f'{escape(look.receipt)}</button>')
        else:
            parts.append(f'<div class="receipt {side}" data-testid="receipt">{escape(look.receipt)}</div>')
    return narrow(''.join(parts))


def _bubble(look: Look) -> str:
    """A message bubble. Its text is its only text: the quote, the "edited" mark, the reactions and the actions
    button draw their words from ``data-`` attributes in the stylesheet (``chat.css``) and name themselves with
    ``aria-label``, so the bubble's ``textContent`` is exactly what the person wrote (what tests and the load
    tool read)."""
    kind = 'sent' if look.mine else 'received'
    classes = f'bubble bubble--{kind}' + (' bubble--deleted' if look.deleted else '') \
        + (' bubble--target' if look.target else '')
    name = f' data-name="{escape(look.name)}"' if look.name else ''
    stamp = f' data-stamp="{escape(look.stamp)}"' if look.stamp else ''
    target = ' data-target="1"' if look.target else ''
    pictured = ' data-avatar="1"' if look.avatar and look.name else ''
    head = f'<div class="{classes}" data-testid="message" data-seq="{look.seq}"{name}{stamp}{target}{pictured}>'
    if pictured:
        head += f'<span class="bubble-avatar">{look.avatar}</span>'
    if look.deleted:
        return f'{head}{DELETED}</div>'
    if look.collapsed:
        return (f'{head}<details class="collapsed"><summary>{BLOCKED}</summary>'
                f'{rich_text.to_html(look.text)}</details></div>')
    parts = [head]
    if look.quote is not None:
        who, excerpt = escape(look.quote[0]), escape(look.quote[1])
        parts.append(f'<button type="button" class="quote" data-act="quote" data-testid="quote" data-who="{who}" '
                     f'data-excerpt="{excerpt}" aria-label="Reply to {who or "an earlier message"}: {excerpt}">'
                     '</button>')
    if look.attachment is not None:
        parts.append(_attached(look.attachment))
    parts.append(rich_text.to_html(look.text, look.mentionable))
    if look.edited:
        parts.append('<span class="edited" data-testid="edited" aria-label="edited"></span>')
    if look.reactions:
        parts.append('<span class="reactions">')
        for emoji, count, mine, who in look.reactions:
            label = escape(f'{emoji} {count}: {who}')
            parts.append(f'<button type="button" class="reaction{" reaction--mine" if mine else ""}" '
                         f'data-act="react" data-emoji="{escape(emoji)}" data-count="{count}" data-testid="reaction" '
                         f'aria-pressed="{"true" if mine else "false"}" title="{escape(who)}" aria-label="{label}">'
                         '</button>')
        parts.append('</span>')
    if look.actions:
        parts.append(ACTIONS_BUTTON)
    parts.append('</div>')
    return ''.join(parts)


def _attached(attached: Attached) -> str:
    """A picture opens full size in a new tab; a file is a download chip whose words come from the stylesheet."""
    name = escape(attached.filename)
    if attached.image:
        size = (f' width="{attached.width}" height="{attached.height}"'
                if attached.width and attached.height else '')
        return (f'<a class="picture" href="{escape(attached.full_url)}" target="_blank" rel="noopener noreferrer" '
                f'data-testid="picture"><img src="{escape(attached.thumb_url)}" alt="{name}"{size} loading="lazy">'
                '</a>')
    return (f'<a class="file-chip" href="{escape(attached.full_url)}" rel="noopener noreferrer" data-testid="file" '
            f'data-file="{name}" data-size="{escape(attached.size)}" '
            f'aria-label="Download {name}, {escape(attached.size)}"></a>')


ACTIONS_BUTTON = '<button class="more" data-act="menu" aria-label="Message actions"></button>'
"""On every bubble of every page a block reaches, each time the block is drawn: kept short (a button outside a form
does nothing by itself, so it needs no ``type``; tests find it as ``.more``)."""
DELETED = 'This message was deleted'
BLOCKED = 'Message from someone you blocked'
