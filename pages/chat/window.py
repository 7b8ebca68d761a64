"""Which messages a chat view shows: a pure model of the window, unit-tested without NiceGUI.

The window holds whole blocks (a page of history, or messages that arrived live, see ``pages.chat.bubble``) of at
most ``max_shown`` messages. ``last_seq`` is the newest sequence number taken in: a message with ``last_seq + 1`` is
taken, one at or below it is a duplicate and ignored, one further ahead means something was missed and the view
reads the gap from the database. Normally the window ends at ``last_seq`` (``live``); paging back past
``max_shown`` drops the newest blocks instead, and the window then counts what arrives (``unseen``). When a
catch-up brings more new messages than the window holds, the window shows the newest page and says how many new
messages lie above it (``skipped``) instead of dropping them silently. A view that opens with more unread messages
than a page can also start at the first unread one (``show_from``) and read on towards the newest (``append_later``).
Messages at or below ``floor`` (a group member's join boundary) are never there to show.

The window decides and a ``Renderer`` draws. The view calls it from one task at a time (it serialises every
operation that awaits the database), so no operation here ever sees another half done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Protocol, TypeVar

from chatapp.schemas import MessageData

B = TypeVar('B')

MAX_SHOWN = 200
"""Messages one open view holds at most: a page that stays open for days costs the same memory as a fresh one."""
LIVE_BLOCK_MESSAGES = 10
LIVE_BLOCK_CHARS = 4000
"""Messages that arrive live join the newest block until it holds this many messages or characters of text, then a
new block starts: a new element per message costs more server time than re-sending a small block, and the bound
keeps each update small."""


class Renderer(Protocol[B]):
    """Draws what the window decides; ``B`` is whatever stands for one block on the page."""

    def new_block(self, messages: Sequence[MessageData], *, at_start: bool) -> B:
        """Show ``messages`` as one block, before the others (``at_start``) or after them."""

    def extend(self, block: B, message: MessageData) -> None:
        """Show ``message`` at the end of ``block``."""

    def remove(self, block: B) -> None:
        """Take ``block`` off the page."""


class Taken(Enum):
    """What ``receive`` did with a message."""

    SHOWN = 'shown'
    COUNTED = 'counted'
    """Taken in while the window shows history: counted in ``unseen``, not shown."""
    DUPLICATE = 'duplicate'
    GAP = 'gap'
    """Not taken: messages before it are missing; catch up from the database."""


@dataclass
class _Block(Generic[B]):
    first: int
    count: int
    chars: int
    drawn: B


class MessageWindow(Generic[B]):
    """See the module docstring."""

    def __init__(self, renderer: Renderer[B], *, max_shown: int = MAX_SHOWN,
                 block_messages: int = LIVE_BLOCK_MESSAGES, block_chars: int = LIVE_BLOCK_CHARS, floor: int = 0
                 ) -> None:
        self._renderer = renderer
        self.floor = floor
        self._max_shown = max_shown
        self._block_messages = block_messages
        self._block_chars = block_chars
        self._blocks: deque[_Block[B]] = deque()
        self.last_seq = 0
        self.live = True
        self.unseen = 0
        self._skipped_from: int | None = None

    @property
    def count(self) -> int:
        """Messages shown."""
        return sum(block.count for block in self._blocks)

    @property
    def first_seq(self) -> int | None:
        """The oldest message shown (``None``: nothing shown)."""
        return self._blocks[0].first if self._blocks else None

    @property
    def has_earlier(self) -> bool:
        """Whether older messages exist than the ones shown."""
        return bool(self._blocks) and self._blocks[0].first > self.floor + 1

    @property
    def shown_last(self) -> int | None:
        """The newest message shown (``None``: nothing shown); ``last_seq`` unless the window shows history."""
        return self._blocks[-1].first + self._blocks[-1].count - 1 if self._blocks else None

    @property
    def skipped(self) -> int:
        """New messages that arrived while the view was away and lie above the window, not yet shown."""
        if self._skipped_from is None or not self._blocks:
            return 0
        return max(0, self._blocks[0].first - self._skipped_from)

    def reset(self, page: Sequence[MessageData], *, skipped_from: int | None = None) -> None:
        """Show ``page`` (the newest messages) and nothing else; ``skipped_from``: the first of the new messages that
        were not shown before this page (after a long outage)."""
        for block in self._blocks:
            self._renderer.remove(block.drawn)
        self._blocks.clear()
        self.live = True
        self.unseen = 0
        self._skipped_from = skipped_from
        self.last_seq = page[-1].seq if page else self.floor
        if page:
            self._blocks.append(self._new(page, at_start=False))

    def show_from(self, page: Sequence[MessageData], *, last_seq: int) -> None:
        """Show ``page`` (older than the newest message, ``last_seq``) and nothing else: the window then reads on
        towards the newest with ``append_later`` and counts the rest as ``unseen``."""
        self.reset(page)
        if page and last_seq > self.last_seq:
            self.live = False
            self.unseen = last_seq - self.last_seq
            self.last_seq = last_seq

    def append_later(self, later: Sequence[MessageData]) -> None:
        """Show ``later`` (the page just after the newest shown, while the window shows history) last; the oldest
        blocks make room past ``max_shown``, and the window is live again once it reaches ``last_seq``."""
        end = self.shown_last
        if self.live or not later or end is None or later[0].seq != end + 1 or later[-1].seq > self.last_seq:
            return  # not the page after ours: the window changed while it was read
        self._blocks.append(self._new(later, at_start=False))
        self.unseen = max(0, self.last_seq - later[-1].seq)
        if later[-1].seq == self.last_seq:
            self.live = True
        while self.count > self._max_shown and len(self._blocks) > 1:
            self._drop(self._blocks.popleft())

    def receive(self, message: MessageData) -> Taken:
        """Take in the next message (from the broker, a catch-up or my own send)."""
        if message.seq <= self.last_seq:
            return Taken.DUPLICATE
        if message.seq > self.last_seq + 1:
            return Taken.GAP
        self.last_seq = message.seq
        if not self.live:
            self.unseen += 1
            return Taken.COUNTED
        newest = self._blocks[-1] if self._blocks else None
        if newest is not None and newest.count < self._block_messages and newest.chars < self._block_chars:
            self._renderer.extend(newest.drawn, message)
            newest.count += 1
            newest.chars += len(message.body)
        else:
            self._blocks.append(self._new([message], at_start=False))
        while self.count > self._max_shown and len(self._blocks) > 1:
            self._drop(self._blocks.popleft())
        return Taken.SHOWN

    def prepend(self, earlier: Sequence[MessageData]) -> None:
        """Show ``earlier`` (the page just before the oldest shown) first; past ``max_shown`` the newest blocks make
        room and the window stops being live."""
        if not earlier or not self._blocks or earlier[-1].seq != self._blocks[0].first - 1:
            return  # not the page before ours: the window changed while it was read
        self._blocks.appendleft(self._new(earlier, at_start=True))
        while self.count > self._max_shown and len(self._blocks) > 1:
            self._drop(self._blocks.pop())
            self.live = False
        if self._skipped_from is not None and self.skipped == 0:
            self._skipped_from = None

    def _new(self, messages: Sequence[MessageData], *, at_start: bool) -> _Block[B]:
        drawn = self._renderer.new_block(messages, at_start=at_start)
        return _Block(messages[0].seq, len(messages), sum(len(m.body) for m in messages), drawn)

    def _drop(self, block: _Block[B]) -> None:
        self._renderer.remove(block.drawn)
