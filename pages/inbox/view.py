"""The inbox pane: my conversations, newest first, moving live; a filter, "Load more", "New chat" and "New group".

The rows live in a ``Listing`` (pure state) and are drawn as a few ``Html`` blocks (``RowBlocks``). Whole-list reads
(the first page, a new filter, a resync) go through one ``Coalescer``, single-row reads (a conversation I just
joined, a group renamed, a sender whose name I do not know yet) through another, so reads never overlap and the
last one always starts after the last event that asked for it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from html import escape

from nicegui import background_tasks, ui

from chatapp.app import ChatApp
from chatapp.events import (
    Event,
    FriendshipChanged,
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    PresenceChanged,
    ProfileChanged,
    ReadMoved,
)
from chatapp.events import Typing as TypingEvent
from chatapp.schemas import InboxPage, InboxRow
from chatapp.services import inbox
from chatapp.services.conversations import NOT_AVAILABLE_CODE
from chatapp.services.friendships import SEARCH_MAX_LENGTH
from pages.base_view import SignedInView
from pages.coalescer import Coalescer
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity
from pages.inbox.dialogs import new_chat_dialog, new_group_dialog
from pages.inbox.listing import Listing, Row, Took
from pages.inbox.rows import RowBlocks, RowLook, row_html
from pages.timezone import zone_of

FILTER_DEBOUNCE_MS = 300
"""The browser sends the filter text once the person pauses this long (or presses Enter)."""
REDRAW_EVERY = 0.25
"""Seconds between two redraws of the list while live events stream in. The first change after a quiet spell is
drawn at once; the changes that follow within this interval are drawn together at its end. A busy conversation
(scenario a: 20 messages a second) would otherwise redraw the list, and send it to the browser, once per message,
about a fifth of what a message costs the server, for a pane whose row the person is reading beside it anyway."""
RIDE_WAIT = 0.25
"""How long after its interval a held change waits for another event to be drawn with. A redraw made on its own
timer goes to the browser in a socket message of its own; drawn while the next event is handled, it joins that
event's message (the new bubble): in a busy chat (scenario c) a third of the messages a page received were the
list's alone. A held change is drawn at most ``REDRAW_EVERY + RIDE_WAIT`` after the redraw before it."""


class InboxView(SignedInView):
    """The list pane of ``/``, ``/chat/…`` and ``/group/…``; ``active`` is the conversation open beside it."""

    def __init__(self, chat: ChatApp, identity: Identity, *, active: int | None = None) -> None:
        super().__init__(chat, identity)
        self.active = active
        self.reading = lambda: False
        """Whether the page is showing ``active``'s newest messages to the person (set by the page): they are read."""
        self.zone = zone_of(identity.accounts)
        self.listing = Listing(me=self.me)
        self.query = ''
        self.loaded = False
        self._spawn = lambda job: background_tasks.create(job, name='inbox read')
        self.reloads = Coalescer(self._reload, spawn=self._spawn)
        self._row_queue: set[int] = set()
        self.row_reads = Coalescer(self._read_rows, spawn=self._spawn)
        self._fade: asyncio.TimerHandle | None = None
        self._drawn: dict[int, tuple[Row, tuple[object, ...]]] = {}
        """What each row was last drawn from (its HTML is in ``blocks``)."""
        self._drawn_at = -REDRAW_EVERY
        self._redraw: asyncio.TimerHandle | None = None
        self._build()

    def _build(self) -> None:
        # Few elements: each costs every open page about 4 KB (the header above holds the heading and the way to
        # Friends and Settings).
        with hook(ui.element('nav'), 'inbox').classes('inbox-pane glass').props('aria-label=Conversations'):
            with ui.element('div').classes('inbox-head'):
                self.filter = hook(ui.input(placeholder='Search chats', on_change=self._filter_changed),
                                   'inbox-filter') \
                    .props(f'dense outlined clearable debounce={FILTER_DEBOUNCE_MS} maxlength={SEARCH_MAX_LENGTH} '
                           'aria-label="Search chats"').classes('inbox-filter')
                self.filter.on('keydown.enter', self._filter_changed)
                hook(ui.button(icon='person_add_alt', on_click=lambda: new_chat_dialog(self)), 'new-chat') \
                    .props('flat round dense color=primary aria-label="New chat" title="New chat"')
                hook(ui.button(icon='group_add', on_click=lambda: new_group_dialog(self)), 'new-group') \
                    .props('flat round dense color=primary aria-label="New group" title="New group"')
                hook(ui.button(icon='manage_search', on_click=lambda: self.navigate.to('/search')), 'search-messages') \
                    .props('flat round dense color=primary aria-label="Search messages" title="Search messages"')
            self.list = ui.element('div').classes('inbox-list')
            self.blocks = RowBlocks(self.list)
        self.more: ui.button | None = None
        """"Load more", made when there first is more."""

    # --- reading -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """The first page, read after the view was attached to the hub (so no change can fall in between)."""
        await self.reloads.run()

    async def resync(self) -> None:
        await self.reloads.run()

    async def _reload(self) -> None:
        query = self.query
        page = await self.act(inbox.inbox_page, query=query, quiet=True)
        if not isinstance(page, InboxPage) or query != self.query:
            if query != self.query:
                self.reloads.request()  # the filter changed while reading: read for the new one
            return
        self.listing.replace(page, page.next_cursor)
        self.loaded = True
        await self._learn_presence(self.listing.direct_peers())
        self.render()

    async def load_more(self) -> None:
        """The next page below the rows shown."""
        cursor, query = self.listing.cursor, self.query
        if cursor is None:
            return
        page = await self.act(inbox.inbox_page, query=query, before=cursor)
        if isinstance(page, InboxPage) and query == self.query and cursor == self.listing.cursor:
            known = set(self.listing.rows)
            self.listing.extend(page, page.next_cursor)
            await self._learn_presence([row.peer.id for row in page.rows
                                        if row.peer is not None and row.conversation_id not in known])
            self.render()

    def _read_row(self, conversation_id: int) -> None:
        self._row_queue.add(conversation_id)
        self.row_reads.request()

    async def _read_rows(self) -> None:
        queue, self._row_queue = self._row_queue, set()
        new_peers: list[int] = []
        for conversation_id in queue:
            row = await self.act(inbox.inbox_row, conversation_id=conversation_id, quiet=True)
            if isinstance(row, Failed):
                if row.code == NOT_AVAILABLE_CODE:
                    self.listing.drop(conversation_id)
                continue
            if conversation_id not in self.listing.rows:
                if not self._belongs(row):
                    continue
                if row.peer is not None:
                    new_peers.append(row.peer.id)
            self.listing.put(row)
        await self._learn_presence(new_peers)
        self.render()

    def _belongs(self, row: InboxRow) -> bool:
        """Whether a conversation not listed yet joins the list: while filtering, only if it matches (as the
        service's filter does); a direct conversation only once it has a message."""
        if row.kind != 'group' and row.last_message is None:
            return False
        text = self.query.strip().lower()
        if not text:
            return True
        names = [row.title.lower()] + ([row.peer.username.lower()] if row.peer is not None else [])
        return any(text in name for name in names)

    async def _learn_presence(self, user_ids: list[int]) -> None:
        if not user_ids:
            return
        seen = await self.chat.ephemeral.presence_of(actor_id=self.me, user_ids=user_ids)  # never raises
        for user_id in user_ids:
            info = seen.get(user_id)
            self.listing.online[user_id] = bool(info is not None and info.online)

    async def _filter_changed(self) -> None:
        query = (self.filter.value or '').strip()
        if query != self.query:
            self.query = query
            await self.reloads.run()

    # --- live events ---------------------------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        if not self.still_signed_in():
            return
        listing = self.listing
        changed = False
        if isinstance(event, MessagePosted):
            took = listing.take(event.message)
            if took is Took.UNKNOWN:
                self._read_row(event.message.conversation_id)
            elif event.message.conversation_id == self.active and self.reading():
                listing.read_to(self.active, event.message.seq)  # read on sight: no badge for a moment, no redraw
            changed = took is not Took.SAME
        elif isinstance(event, MessageChanged):
            changed = listing.change(event.message)
        elif isinstance(event, ReadMoved):
            changed = event.user_id == self.me and listing.read_to(event.conversation_id, event.read_seq)
        elif isinstance(event, MembershipChanged):
            if event.change == 'deleted':
                changed = listing.drop(event.conversation_id)
            else:
                self._read_row(event.conversation_id)
        elif isinstance(event, TypingEvent):
            if event.user_id != self.me and event.conversation_id in listing.rows:
                if event.active:
                    listing.start_typing(event.conversation_id, event.user_id, event.name, time.monotonic())
                    self._schedule_fade()
                    changed = True
                else:
                    changed = listing.stop_typing(event.conversation_id, event.user_id)
        elif isinstance(event, PresenceChanged):
            if listing.online.get(event.user_id) != event.online and event.user_id in listing.direct_peers():
                listing.online[event.user_id] = event.online
                changed = True
        elif isinstance(event, FriendshipChanged):
            self.reloads.request()  # a direct conversation appears or goes with the friendship
        elif isinstance(event, ProfileChanged):
            changed = listing.person_changed(event.user_id, event.user.label, event.avatar)
        if changed:
            self._render_soon()

    def _render_soon(self) -> None:
        """``render`` now when the interval that the last redraw started (``REDRAW_EVERY``) is over; else hold the
        change for the first event after it, or for ``RIDE_WAIT`` more when none comes."""
        now = time.monotonic()
        due = self._drawn_at + REDRAW_EVERY
        if now >= due:
            self.render()
        elif self._redraw is None:
            self._redraw = asyncio.get_running_loop().call_later(due + RIDE_WAIT - now, self._redraw_due)

    def _redraw_due(self) -> None:
        self._redraw = None
        self.render()

    def _schedule_fade(self) -> None:
        """One timer for the next typist to fade; each firing schedules the one after."""
        if self._fade is not None:
            self._fade.cancel()
        when = self.listing.next_fade()
        if when is None:
            self._fade = None
            return
        self._fade = asyncio.get_running_loop().call_later(max(0.0, when - time.monotonic()) + 0.05, self._faded)

    def _faded(self) -> None:
        self._fade = None
        if self.client.is_deleted:
            return
        if self.listing.fade(time.monotonic()):
            self._render_soon()
        self._schedule_fade()

    # --- drawing -------------------------------------------------------------------------------------------------

    def render(self) -> None:
        """Draw the rows (only the blocks that changed go to the browser)."""
        if self._redraw is not None:
            self._redraw.cancel()  # whatever it held is drawn now
            self._redraw = None
        if self.client.is_deleted:
            return
        self._drawn_at = time.monotonic()
        listing, now = self.listing, datetime.now(UTC)
        drawn: dict[int, tuple[Row, tuple[object, ...]]] = {}
        rows: list[str] = []
        keys: list[int] = []
        for row in listing.ordered():
            # A message re-sorts every row but changes one: the others' HTML is kept (rows are immutable, so the
            # same object means the same row).
            typists = tuple(listing.typists(row.conversation_id))
            online = row.peer_id is not None and listing.online.get(row.peer_id, False)
            key = (typists, online, now.astimezone(self.zone).date())
            cached = self._drawn.get(row.conversation_id)
            markup = self.blocks.drawn(row.conversation_id) \
                if cached is not None and cached[0] is row and cached[1] == key else None
            if markup is None:
                markup = row_html(row, RowLook(me=self.me, zone=self.zone, now=now, active=self.active,
                                               typists=typists, online=online))
            drawn[row.conversation_id] = (row, key)
            rows.append(markup)
            keys.append(row.conversation_id)
        self._drawn = drawn
        if not rows and self.loaded:
            message = f'No chats match “{self.query}”.' if self.query else \
                'No chats yet. Start one with New chat or New group.'
            rows = [f'<p class="inbox-none" data-testid="inbox-none">{escape(message)}</p>']
        self.blocks.show(rows, keys)
        if listing.has_more and self.more is None:
            with self.list:
                self.more = hook(ui.button('Load more', on_click=self.load_more), 'inbox-more') \
                    .props('flat dense no-caps').classes('inbox-more')
        if self.more is not None:
            self.more.set_visibility(listing.has_more)
