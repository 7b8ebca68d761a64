"""Inbox rows as escaped HTML: each row one ``<a href>`` (opening a conversation is plain navigation, no handler),
several rows to one ``Html`` element (``RowBlocks``), because every NiceGUI element costs a page about 4 KB.

Everything a person wrote (names, titles, message text) goes through ``html.escape`` here; DOMPurify sanitises the
block again in the browser. The ``data-`` attributes are stable handles for tests and carry nothing secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from html import escape

from nicegui import ui
from nicegui.elements.html import Html

from chatapp.clock import as_utc
from pages.avatar import avatar_img
from pages.chat.typing import who_types
from pages.hooks import hook
from pages.inbox.listing import Row
from pages.narrow import narrow

AVATAR_PX = 44
"""The row avatar's side in CSS pixels (``.inbox-avatar`` in inbox.css)."""
ROWS_PER_BLOCK = 25
"""Rows one ``Html`` element holds: a change re-sends one block (about 15 KB), and the first 50 rows cost two
elements (each element costs an open page about 4 KB of server memory; with 10 rows a block they cost five)."""


@dataclass(frozen=True)
class RowLook:
    """What a row needs beyond its ``Row``: the viewer, where they are, and the live state of the others."""

    me: int
    zone: tzinfo
    now: datetime
    active: int | None
    typists: Sequence[str] = ()
    online: bool = False


def row_html(row: Row, look: RowLook) -> str:
    """One row: avatar (the peer's picture or initials, a dot when a direct peer is online), name, time, last line,
    unread badge. The picture's ``alt`` is empty: the name follows in the same link. Narrowed (``pages.narrow``): a
    "📷 Picture" preview would otherwise store its whole block at four bytes a character."""
    classes = ['inbox-row']
    if row.conversation_id == look.active:
        classes.append('inbox-row--active')
    unread = row.unread
    if unread:
        classes.append('inbox-row--unread')
    if row.muted:
        classes.append('inbox-row--muted')
    dot = '<span class="inbox-dot" title="Online"><span class="sr-only">online</span></span>' if look.online else ''
    badge = f'<span class="inbox-badge">{_count(unread)}<span class="sr-only"> unread</span></span>' if unread else ''
    if row.mentioned:
        badge = ('<span class="inbox-mention" title="You were mentioned" data-testid="inbox-mention">@'
                 '<span class="sr-only"> you were mentioned</span></span>' + badge)
    muted = ('<span class="inbox-muted" title="Muted" aria-hidden="true">🔕</span><span class="sr-only">muted</span>'
             if row.muted else '')
    when = short_stamp(row.at, look.zone, look.now) if row.at is not None else ''
    current = ' aria-current="page"' if row.conversation_id == look.active else ''
    kind = 'group' if row.group else 'direct'
    return narrow(f'<a class="{" ".join(classes)}" href="{escape(row.path)}" data-testid="inbox-row" '
            f'data-conversation="{row.conversation_id}" data-unread="{unread}" data-kind="{kind}"{current}>'
            f'<span class="inbox-avatar inbox-avatar--{kind}">{_face(row)}{dot}</span>'
            f'<span class="inbox-main"><span class="inbox-line">'
            f'<span class="inbox-name">{escape(row.title)}</span>{muted}'
            f'<span class="inbox-time">{escape(when)}</span></span>'
            f'<span class="inbox-line">{_preview(row, look)}{badge}</span></span></a>')


def preview_text(row: Row, me: int) -> str:
    """The last message as one line of plain text: the sender's name first in groups ("You" for mine), a timeline
    event as its sentence (``Row`` keeps both as one line already)."""
    text = row.text
    if text is None:
        return 'No messages yet'
    if row.event:
        return text
    if row.sender_id == me:
        return f'You: {text}'
    if row.group and row.sender_label:
        return f'{row.sender_label}: {text}'
    return text


def typing_text(names: Sequence[str], *, group: bool) -> str:
    """ "typing…" in a direct chat; who types in a group."""
    return who_types(list(names)) if group else 'typing…'


def initials(name: str) -> str:
    """Up to two initials of a name ("Ann Lee" -> "AL"); "?" for a name with no letters to take."""
    words = [word for word in name.split() if word[:1].isalnum()]
    letters = ''.join(word[0] for word in words[:2]).upper()
    return letters or (name.strip()[:1].upper() or '?')


def short_stamp(moment: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """'14:05' today, '3 Mar' earlier this year, '3 Mar 2025' before: a list needs less than a bubble."""
    local = as_utc(moment).astimezone(zone)
    today = (now or datetime.now(UTC)).astimezone(zone)
    if local.date() == today.date():
        return f'{local:%H:%M}'
    if local.year == today.year:
        return f'{local.day} {local:%b}'
    return f'{local.day} {local:%b %Y}'


class RowBlocks:
    """The rows of a list, ``ROWS_PER_BLOCK`` to an ``Html`` element; ``show`` re-sends only blocks that changed.

    Each row's HTML lives only in its block's content: ``drawn`` slices it back out for a row that did not change,
    where keeping it per row as well doubled the list's HTML on every open page."""

    def __init__(self, container: ui.element) -> None:
        self.container = container
        self.blocks: list[Html] = []
        self._spans: dict[int, tuple[int, int, int]] = {}
        """Where each keyed row sits: (block, start, end) in that block's content."""

    def drawn(self, key: int) -> str | None:
        """The HTML last shown for the row ``key`` (``None``: not shown)."""
        span = self._spans.get(key)
        if span is None:
            return None
        index, start, end = span
        return self.blocks[index].content[start:end]

    def show(self, rows: Sequence[str], keys: Sequence[int] = ()) -> None:
        """Show ``rows`` in order; ``keys[i]`` names ``rows[i]`` for ``drawn`` (rows past ``keys`` have no name)."""
        chunks: list[str] = []
        spans: dict[int, tuple[int, int, int]] = {}
        for start in range(0, len(rows), ROWS_PER_BLOCK):
            index, offset = len(chunks), 0
            for position in range(start, min(start + ROWS_PER_BLOCK, len(rows))):
                end = offset + len(rows[position])
                if position < len(keys):
                    spans[keys[position]] = (index, offset, end)
                offset = end
            chunks.append(''.join(rows[start:start + ROWS_PER_BLOCK]))
        self._spans = spans
        for index, content in enumerate(chunks):
            if index < len(self.blocks):
                if self.blocks[index].content != content:
                    self.blocks[index].set_content(content)
            else:
                with self.container:
                    block = hook(Html(content), 'inbox-block')
                    block.classes('inbox-block')
                if self.container.default_slot.children[index] is not block:
                    block.move(self.container, target_index=index)  # above whatever follows the rows ("Load more")
                self.blocks.append(block)
        while len(self.blocks) > len(chunks):
            self.container.remove(self.blocks.pop())

    def html(self) -> str:
        """Everything shown (for tests)."""
        return ''.join(block.content for block in self.blocks)


def _preview(row: Row, look: RowLook) -> str:
    if look.typists:
        return f'<span class="inbox-last inbox-typing">{escape(typing_text(look.typists, group=row.group))}' \
               '</span>'
    return f'<span class="inbox-last">{escape(preview_text(row, look.me))}</span>'


def _face(row: Row) -> str:
    """The direct peer's picture, or the initials of the row's title."""
    picture = avatar_img(row.peer_avatar, AVATAR_PX) if not row.group else ''
    return picture or escape(initials(row.title))


def _count(unread: int) -> str:
    return str(unread) if unread < 1000 else '999+'
