"""In-page notifications for every signed-in page: the unread total in the tab title ("(3) Chats · chatapp") and a
toast for a message in a conversation I am not looking at.

The total comes from ``inbox.unread_total`` (positions, muted conversations left out). A message from someone else
adds one at once, and the total is read again a little later to confirm it (a read running when the message arrived
may have counted it already); a read position of mine that moved, a membership change (muting among them) or a
friendship that ended reads the total again. Reads are coalesced and spaced, so a busy page costs at most one read
every ``CONFIRM_AFTER`` seconds for messages, and a read that a message overtook is read once more.

While the page shows a conversation that the total counts as read (``zeroed``: all of it was read, or the person
was reading it when the total was read, and what they read is left out of the title while their marks are on the
way), its messages and my read moves in it cost nothing: the person is looking (the view reads them), or they are
mine. Only a slow recount (``SETTLED_CHECK``) catches a message that was in flight while the total was read.
Without this every message of an open conversation cost every page showing it a database read.

Toasts are one ``Html`` element made when the first is needed, each toast an ``<a href>`` to its conversation
(escaped text, a polite live region for screen readers), gone after ``TOAST_SECONDS``. Nothing for my own messages,
muted conversations, or the conversation open on this page.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from nicegui import background_tasks, ui
from nicegui.elements.html import Html

from chatapp import timeline
from chatapp.app import ChatApp
from chatapp.events import Event, FriendshipChanged, MembershipChanged, MessagePosted, ProfileChanged, ReadMoved
from chatapp.schemas import InboxRow, MessageData
from chatapp.services import inbox
from pages.base_view import SignedInView
from pages.coalescer import Coalescer
from pages.hooks import hook
from pages.identity import Identity
from pages.inbox.listing import one_line, summary

TOAST_SECONDS = 6.0
MAX_TOASTS = 3
RECOUNT_AFTER = 0.5
"""Seconds from a change of my read positions or memberships to re-reading the total: a burst costs one read."""
CONFIRM_AFTER = 2.0
"""Seconds from a message to re-reading the total: the count added at once may double one that a read running at
that moment already held; and a message in the open conversation is read by its view meanwhile, so the title does
not flash a count that is gone a moment later. Each page reads at most one total per this interval while busy."""
SETTLED_CHECK = 10.0
"""Seconds from a message in the open, read conversation to re-reading the total anyway (see the module docstring)."""


@dataclass(frozen=True)
class Facts:
    """What a toast needs to know of a conversation, learnt once from its inbox row."""

    title: str
    path: str
    group: bool
    muted: bool
    peer_id: int | None = None
    """The other person of a direct conversation, whose name is its title."""


class Notifier(SignedInView):
    """One per signed-in page; ``looking_at`` is the conversation this page shows (no toast for it), ``looking``
    says whether the person is reading its newest messages, and ``position`` is (my read_seq, its last_seq) when the
    page read it."""

    def __init__(self, chat: ChatApp, identity: Identity, *, looking_at: int | None = None,
                 looking: Callable[[], bool] | None = None, position: tuple[int, int] | None = None) -> None:
        super().__init__(chat, identity)
        self.looking_at = looking_at
        self._looking = looking or (lambda: False)
        self._my_read = position[0] if position is not None else 0
        """My read position in ``looking_at``, as far as this page has heard."""
        self.zeroed = False
        """Whether the shown total counts nothing unread in ``looking_at``."""
        self.base_title = self.client.title or 'chatapp'
        """The title ``frame`` set; the count goes in front of it."""
        self.total = 0
        self.facts: dict[int, Facts] = {}
        self.names: dict[int, str] = {}
        self.heard: dict[int, int] = {}
        """Newest seq heard per conversation: the hub may deliver an event twice, a count must not."""
        if looking_at is not None and position is not None:
            self.heard[looking_at] = position[1]
        self.toasts: list[tuple[int, str]] = []
        self._queued: list[MessageData] = []
        """Messages waiting for their toast, oldest first, while the first one's facts are read."""
        self.stack: Html | None = None
        self._ids = itertools.count()
        self._bumps = 0
        self._recount_at: float | None = None
        self._recount_timer: asyncio.TimerHandle | None = None
        self.recounts = Coalescer(self._recount,
                                  spawn=lambda job: background_tasks.create(job, name='unread total'))

    async def start(self) -> None:
        await self.recounts.run()

    async def resync(self) -> None:
        await self.recounts.run()

    async def handle(self, event: Event) -> None:
        if not self.still_signed_in():
            return
        if isinstance(event, MessagePosted):
            self._posted(event.message)
        elif isinstance(event, ReadMoved):
            if event.user_id != self.me:
                return
            if event.conversation_id == self.looking_at:
                self._my_read = max(self._my_read, event.read_seq)
                if self.zeroed:
                    self._recount_soon(SETTLED_CHECK)
                    return
            self._recount_soon(RECOUNT_AFTER)
        elif isinstance(event, MembershipChanged):
            self.facts.pop(event.conversation_id, None)  # muted, renamed, or gone
            self._recount_soon(RECOUNT_AFTER)
        elif isinstance(event, FriendshipChanged) and event.status == 'removed':
            self._recount_soon(RECOUNT_AFTER)
        elif isinstance(event, ProfileChanged):
            self._renamed(event.user_id, event.user.label)

    def _renamed(self, user_id: int, label: str) -> None:
        """Toasts from now on say the person's new name (no read: the event carries it)."""
        if user_id in self.names:
            self.names[user_id] = label
        for conversation_id, facts in self.facts.items():
            if facts.peer_id == user_id:
                self.facts[conversation_id] = dataclasses.replace(facts, title=label)

    def _posted(self, message: MessageData) -> None:
        conversation_id = message.conversation_id
        if message.seq <= self.heard.get(conversation_id, 0):
            return
        self.heard[conversation_id] = message.seq
        if conversation_id == self.looking_at:
            mine = message.sender_id == self.me
            if mine:
                self._my_read = max(self._my_read, message.seq)  # sending moved my read position there
            if self.zeroed and (mine or self._looking()):
                self._recount_soon(SETTLED_CHECK)
                return
            self.zeroed = False
            self._recount_soon(RECOUNT_AFTER if mine else CONFIRM_AFTER)
            return
        if message.sender_id == self.me:
            self._recount_soon(RECOUNT_AFTER)  # sending moved my read position there (another tab of mine, say)
            return
        facts = self.facts.get(conversation_id)
        if facts is not None and not self._queued and not self._unknown(facts, message):
            self._notify(facts, message)
            return
        # Toasts keep the order of their messages, though some wait for a read: the ones after it wait too.
        self._queued.append(message)
        if len(self._queued) == 1:  # not awaited here: the hub has other pages to serve
            background_tasks.create(self._notify_in_order(), name='toast facts')

    def _unknown(self, facts: Facts | None, message: MessageData) -> bool:
        """Whether a toast for ``message`` needs its conversation's inbox row read first (or its sender's name)."""
        return facts is None or (facts.group and message.kind == 'text' and message.sender_id not in self.names)

    async def _notify_in_order(self) -> None:
        try:
            while self._queued:
                message = self._queued[0]
                facts = self.facts.get(message.conversation_id)
                if self._unknown(facts, message):
                    facts = await self._learn(message.conversation_id, message)
                if facts is not None:
                    self._notify(facts, message)
                self._queued.pop(0)
        finally:
            self._queued.clear()  # normally empty; after a failure, the next message starts afresh

    def _notify(self, facts: Facts, message: MessageData) -> None:
        if facts.muted and self.me not in message.mentions:  # a mention gets through a mute
            return
        self._bumps += 1
        self._show_total(self.total + 1)
        self._recount_soon(CONFIRM_AFTER)
        self._toast(facts, message)

    async def _learn(self, conversation_id: int, message: MessageData) -> Facts | None:
        row = await self.act(inbox.inbox_row, conversation_id=conversation_id, quiet=True)
        if not isinstance(row, InboxRow):
            return None
        facts = Facts(title=row.title, path=row.path, group=row.kind == 'group', muted=row.muted,
                      peer_id=row.peer.id if row.peer is not None else None)
        self.facts[conversation_id] = facts
        if row.peer is not None:
            self.names[row.peer.id] = row.peer.label
        last = row.last_message
        if last is not None and last.seq == message.seq and row.sender_label:
            self.names[message.sender_id] = row.sender_label
        return facts

    def _recount_soon(self, delay: float) -> None:
        """Re-read the total ``delay`` from now, or sooner if a read is due sooner already: one timer a page."""
        loop = asyncio.get_running_loop()
        at = loop.time() + delay
        if self._recount_at is not None and self._recount_at <= at:
            return
        if self._recount_timer is not None:
            self._recount_timer.cancel()
        self._recount_at = at
        self._recount_timer = loop.call_later(delay, self._recount_due)

    def _recount_due(self) -> None:
        self._recount_at = self._recount_timer = None
        if not self.client.is_deleted:
            self.recounts.request()

    async def _recount(self) -> None:
        bumps = self._bumps
        heard = self.heard.get(self.looking_at, 0) if self.looking_at is not None else 0
        read_all = self.looking_at is not None and self._my_read >= heard
        looking = self.looking_at is not None and self._looking()
        # What the person is reading right now is about to be marked read: the title does not flash it.
        reading = max(0, heard - self._my_read) if looking else 0
        total = await self.act(inbox.unread_total, quiet=True)
        if not isinstance(total, int):
            return
        if bumps != self._bumps:
            self.recounts.request()  # a message arrived during the read: it may or may not be counted in it
            return
        self._show_total(total - reading)
        # Counted as read if everything heard in it was read before the total was read, or is being read (left out
        # above), and nothing came since. Not requiring the marks of a reader: they are written about a second
        # later (``chatapp.read_marker``), and in a busy conversation one is always on its way.
        self.zeroed = (read_all or looking) and \
            (self.heard.get(self.looking_at, 0) if self.looking_at is not None else 0) == heard

    def _show_total(self, total: int) -> None:
        self.total = max(0, total)
        title = f'({self.total}) {self.base_title}' if self.total else self.base_title
        if self.client.is_deleted or self.client.title == title:
            return
        with self.client:
            ui.page_title(title)

    # --- toasts --------------------------------------------------------------------------------------------------

    def _toast(self, facts: Facts, message: MessageData) -> None:
        if self.client.is_deleted:
            return
        if message.kind == 'text':
            sender = self.names.get(message.sender_id, '')
            name = f'{sender} · {facts.title}' if facts.group and sender else facts.title
            text = one_line(summary(message))
        else:
            name, text = facts.title, one_line(timeline.describe(message, self.me))
        toast_id = next(self._ids)
        self.toasts = [*self.toasts, (toast_id, _toast_html(facts.path, name, text))][-MAX_TOASTS:]
        self._draw()
        asyncio.get_running_loop().call_later(TOAST_SECONDS, self._expire, toast_id)

    def _expire(self, toast_id: int) -> None:
        kept = [toast for toast in self.toasts if toast[0] != toast_id]
        if len(kept) != len(self.toasts):
            self.toasts = kept
            self._draw()

    def _draw(self) -> None:
        if self.client.is_deleted:
            return
        content = ''.join(html for _, html in self.toasts)
        if self.stack is None:
            with self.client.layout:
                self.stack = hook(Html(content), 'toasts').classes('toast-stack') \
                    .props('role=status aria-live=polite')
        elif self.stack.content != content:
            self.stack.set_content(content)


def _toast_html(path: str, name: str, text: str) -> str:
    return (f'<a class="toast" href="{escape(path)}" data-testid="toast">'
            f'<span class="toast-name">{escape(name)}</span><span class="toast-text">{escape(text)}</span></a>')
