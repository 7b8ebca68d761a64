"""The conversation view (a direct chat or a group): a thin shell over pure parts, each unit-tested alone.

``MessageWindow`` decides which messages show, ``Painter`` how each looks (runs of one sender, the "New messages"
line, the receipt line, timeline events), ``MessageList`` draws them in a few ``Block`` elements, ``Outbox`` (via
``SendingView``) holds what is still to send, ``Receipts`` and ``Typists`` hold who has read and who is typing.

Every change to the window that awaits the database (a catch-up, a page of history, a jump) runs under one lock, so
none sees another half done; messages heard from the broker are taken in synchronously, between those awaits, and
the window's sequence numbers make each shown exactly once.

**Read up to what was seen.** The conversation is read up to the newest message shown while the person is looking
at it: the tab is visible (the Page Visibility API, ``document.visibilityState``), the list is scrolled to its
bottom, and the view is open (see ``pages.chat.attention`` for why focus is not required and why a tab counts as
not visible until its browser says it is). Then the view hands that message to the process's read marker
(``chatapp.read_marker``), which writes the positions of every page together, at most one transaction per
``read_marker.EVERY`` seconds for the whole process, so a busy group read on 100 pages costs one write a second, and a
tab nobody looks at none. The view learns the position written from the marker (or from its ``ReadMoved``).

**Opening.** A "New messages" line goes before the first unread message (``ChatInfo.read_seq`` and on), and the
browser scrolls it into view. When more is unread than the newest page holds, a button says how many and jumps to
the first unread page; the view then reads on towards the newest (``load_later``).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nicegui import background_tasks, ui

from chatapp import timeline
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
    Typing,
)
from chatapp.schemas import ChatInfo, MessageData, PresenceInfo, UserPublic
from chatapp.services import conversations, groups, profiles
from chatapp.services.message_details import quote
from pages.avatar import avatar_img
from pages.chat import message_actions, style
from pages.chat.attach import AttachDialog, watch_drops
from pages.chat.attention import Attention
from pages.chat.bubble import Block
from pages.chat.composer import Composer
from pages.chat.group_panel import MembersDialog
from pages.chat.header import ChatHeader
from pages.chat.messages import MessageList
from pages.chat.painter import Painter
from pages.chat.receipts import Receipts
from pages.chat.reply_bar import ReplyBar
from pages.chat.sending import MAX_UNSENT, SendingView
from pages.chat.typing import FADE, Typists
from pages.chat.window import MAX_SHOWN, MessageWindow, Taken
from pages.coalescer import Coalescer
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity
from pages.profile_card import open_profile_card
from pages.timezone import zone_of

__all__ = ['MAX_UNSENT', 'ChatView']

E = TypeVar('E', bound=ui.element)

RECEIPTS_EVERY = 1.0
"""Seconds between two redraws of the receipt line: in a big group every member's read moves it."""
ANNOUNCE_CHARS = 300
"""How much of a new message the live region reads out."""
FORMER_MEMBER = 'Former member'
AVATAR_PX = 20
"""A group member's picture beside their name above a run."""
CLOSED_DIRECT = 'This conversation is closed: you are no longer friends.'
CLOSED_GROUP = 'This conversation is no longer available to you.'
CLOSED_BY = {'removed': 'You were removed from this group.', 'left': 'You left this group.',
             'deleted': 'This group was deleted.'}


class ChatView(SendingView):
    """One open conversation: header, messages, pending sends, typing line, composer."""

    def __init__(self, chat: ChatApp, identity: Identity, info: ChatInfo) -> None:
        super().__init__(chat, identity)
        style.install()
        self.info = info
        self.conversation_id = info.conversation_id
        self.group = info.kind == 'group'
        self.peer = info.peer
        self.zone = zone_of(identity.accounts)
        self.closed = False
        self._lock = asyncio.Lock()
        self._init_sending()
        self._names: dict[int, str] = {}
        self._pictures: dict[int, str] = {}
        """Members' pictures as ``<img>`` HTML (groups), for the painter's ``avatar_of``."""
        self._learn_names(info)
        self._read_seq = max(info.read_seq, info.joined_seq)
        self._asked_read = self._read_seq
        """The furthest message handed to the read marker."""
        self._receipts_at = 0.0
        self._receipts_timer: asyncio.TimerHandle | None = None
        self.receipts = Receipts(info.receipts, direct=not self.group, zone=self.zone)
        self.typists = Typists()
        self._fades: dict[int, asyncio.TimerHandle] = {}
        self._typing_line: ui.label | None = None
        self.members_dialog: MembersDialog | None = None
        self._announcing = False
        self._refresher = Coalescer(self._refresh, spawn=_spawn('chat refresh'))
        self.painter = Painter(me=self.me, direct=not self.group, zone=self.zone, name_of=self.name_of,
                               describe=lambda message: describe(message.body, self.me), floor=info.joined_seq)
        self._change_seq = info.change_seq
        """The newest change (edit, delete, reaction) applied; see ``chatapp.services.message_changes``."""
        self._early: dict[int, MessageData] = {}
        """Changes heard for messages not taken in yet (from another process, a change can overtake its message)."""
        self.replying: int | None = None
        self._reply_bar: ReplyBar | None = None
        self._learn_usernames(info)
        self.painter.blocked = frozenset(info.blocked)
        self._unknown: set[int] = set()
        """Senders whose names the view does not know (no longer members): asked for in the background."""
        self._asking = Coalescer(self._ask_names, spawn=_spawn('chat names'))
        self.painter.file_url = functools.partial(chat.files.links.file_url, self.me)
        self._attach: AttachDialog | None = None
        unread_from = self._read_seq + 1 if info.last_seq > self._read_seq else None
        self.painter.divider_seq = unread_from
        first_shown = info.messages[0].seq if info.messages else None
        self._unread_above = unread_from if unread_from and first_shown and unread_from < first_shown else None
        self._build(info)
        self.window: MessageWindow[Block] = MessageWindow(self.messages, floor=info.joined_seq)
        self.window.reset(info.messages)
        self.info = info.model_copy(update={'messages': []})  # the blocks keep what they show, slimmer
        self._update_receipt(at_once=True)
        self.messages.flush()
        self._update_buttons()

    def _build(self, info: ChatInfo) -> None:
        self.root = ui.context.slot.parent
        self.header = ChatHeader(info, zone=self.zone, on_back=lambda: self.navigate.to('/'),
                                 on_members=self.show_members, on_mute=self.toggle_mute,
                                 on_profile=self.show_profile if info.peer is not None else None)
        # A column-reverse scroller stays pinned to its bottom as messages arrive, and keeps a reader's place while
        # they read older ones, with no scroll command sent per message.
        card = ui.card().classes('glass w-full chat-scroll p-0')
        # Elements that most pages never need (the rows of unsent messages, the closed note, the typing line, the
        # dialogs, the empty note and the buttons around the list) are made when first needed: every element is
        # memory on every open page.
        with card, ui.element('div').classes('chat-scroller') as scroller, \
                ui.column().classes('w-full gap-0') as self._column:
            self.unread_button: ui.button | None = None
            if self._unread_above is not None:
                unread = info.last_seq - self._unread_above + 1
                self.unread_button = hook(ui.button(f'{unread} unread messages · jump to the first',
                                                    icon='north', on_click=self.jump_to_unread), 'jump-unread') \
                    .props('unelevated rounded dense no-caps').classes('self-center mt-2')
            self.earlier_button: ui.button | None = None
            self.empty: ui.label | None = None
            self.messages = MessageList(self.painter, on_action=self._on_action)
            self.later_button: ui.button | None = None
            self.latest_button: ui.button | None = None
        # Screen readers hear new messages from here, politely: the blocks are redrawn whole, which a live region on
        # the list would read out again and again.
        self.live_region = hook(ui.label(), 'live-region').classes('chat-live') \
            .props('aria-live=polite aria-atomic=true')
        self.composer = Composer(storage_key=f'{self.me}.{self.conversation_id}', placeholder=f'Message {info.title}',
                                 on_send=self.send, on_problem=self._refused_in_browser, on_typing=self._typing,
                                 on_attach=self.open_attach)
        watch_drops(scroller, self.composer.box, lambda: self.open_attach(with_kept_files=True))
        self.attention = Attention(scroller, self.messages.element, self._want_read)
        self._body = ui.context.slot.parent

    def name_of(self, user_id: int) -> str:
        if user_id == self.me:
            return 'You'
        name = self._names.get(user_id)
        if name is None:
            if user_id not in self._unknown:
                self._unknown.add(user_id)
                self._asking.request()
            return FORMER_MEMBER
        return name

    async def _ask_names(self) -> None:
        """Learn the names of senders who are no longer members, then draw their messages again."""
        asked = sorted(self._unknown - self._names.keys())
        if not asked or self.closed:
            return
        names = await self.act(conversations.sender_names, conversation_id=self.conversation_id, user_ids=asked,
                               quiet=True)
        if isinstance(names, Failed) or not names or self.client.is_deleted:
            return
        self._names.update(names)
        self.messages.redraw()

    def _learn_names(self, info: ChatInfo) -> None:
        """Names of the members; a member who left keeps the name the view knew."""
        for member in info.members:
            self._names[member.user.id] = member.user.label

    def _learn_usernames(self, info: ChatInfo) -> None:
        """In a group, the members' ``@username`` mentions are highlighted, and their pictures show beside their
        names."""
        if self.group:
            self.painter.usernames = frozenset(member.user.username.lower() for member in info.members)
            self._pictures = {member.user.id: avatar_img(member.user.avatar, AVATAR_PX) for member in info.members
                              if member.user.avatar}
            self.painter.avatar_of = self._pictures.get

    async def restore(self) -> None:
        """After the page is built: the browser reports whether it is seen (and shows the "New messages" line),
        the peer's presence is read, and the browser's unsent sends and draft come back (see ``SendingView``)."""
        self._announcing = True
        self.attention.watch()
        background_tasks.create(self._show_presence(), name='chat presence')
        await self.restore_sends()

    # --- receiving -----------------------------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        if not self.still_signed_in():
            return
        if isinstance(event, MessagePosted) and event.message.conversation_id == self.conversation_id:
            self._take(event.message)
        elif isinstance(event, MessageChanged) and event.message.conversation_id == self.conversation_id:
            self.changed(event.message)
        elif isinstance(event, ReadMoved) and event.conversation_id == self.conversation_id:
            self._read_moved(event)
        elif isinstance(event, Typing) and event.conversation_id == self.conversation_id:
            self._typing_heard(event)
        elif isinstance(event, MembershipChanged) and event.conversation_id == self.conversation_id:
            self._membership_changed(event)
        elif isinstance(event, PresenceChanged) and self.peer is not None and event.user_id == self.peer.id:
            self.header.show_presence(PresenceInfo(user_id=event.user_id, online=event.online,
                                                   last_seen_at=event.last_seen_at))
        elif (isinstance(event, FriendshipChanged) and self.peer is not None and self.peer.id in event.user_ids
              and event.status == 'removed'):
            self.close()
        elif isinstance(event, FriendshipChanged) and self.group and event.status == 'removed':
            self._refresher.request()  # a block ends a friendship: whom I block decides what is collapsed
        elif isinstance(event, ProfileChanged):
            self._person_changed(event.user)

    async def resync(self) -> None:
        """After a reconnect: messages from the database, presence and membership read again (typing is never
        replayed; the line simply fades)."""
        await self.catch_up()
        if not self.closed:
            self._refresher.request()
            background_tasks.create(self._show_presence(), name='chat presence')

    async def catch_up(self) -> None:
        """Take in whatever the database has after the newest message taken in. When that is more than the window
        holds (the view was away long), show the newest page and say how many new messages lie above it."""
        async with self._lock:
            while True:
                after = self.window.last_seq
                updates = await self.act(conversations.updates_after, conversation_id=self.conversation_id,
                                         after_seq=after, after_change=self._change_seq, quiet=True)
                if isinstance(updates, Failed):
                    if updates.code == conversations.NOT_AVAILABLE_CODE:
                        self.close()
                    return
                for message in updates.changed:
                    self._apply_change(message)
                self._change_seq = max(self._change_seq, updates.change_seq)
                messages = updates.messages
                if len(messages) > MAX_SHOWN and self.window.live:
                    await self._show_latest(skipped_from=after + 1)
                    return
                for message in messages:
                    self._take(message)
                if len(messages) < conversations.CATCH_UP_LIMIT and len(updates.changed) < conversations.CATCH_UP_LIMIT:
                    return

    def _take(self, message: MessageData) -> None:
        taken = self.window.receive(message)
        if taken is Taken.GAP:
            background_tasks.create(self.catch_up(), name='chat catch-up')  # the database fills the gap
            return
        if taken is Taken.DUPLICATE:
            return
        if self._early and (change := self._early.pop(message.seq, None)) is not None:
            self.messages.replace(change)
        self.messages.flush()
        self._update_buttons()
        sender = message.sender_id
        if sender == self.me:
            self._read_seq = max(self._read_seq, message.seq)  # sending reads everything before it
        else:
            if self.receipts.read(sender, message.seq, message.created_at):  # their message: they read up to it
                self._update_receipt()
            if self.typists.stop(sender):
                self._show_typists()
            self._announce(message)
        self._want_read()

    def _announce(self, message: MessageData) -> None:
        if not self._announcing:
            return
        if message.kind == 'event':
            text = describe(message.body, self.me)
        else:
            text = f'{self.name_of(message.sender_id)}: {message.body[:ANNOUNCE_CHARS]}'
        self.live_region.set_text(text)

    # --- changes: edits, deletes, reactions -----------------------------------------------------------------------

    def changed(self, message: MessageData) -> None:
        """A message changed (heard from the broker, or answered by my own action): show its new state. Changes are
        numbered like messages: a gap means some were missed, and the database fills it."""
        self._apply_change(message)
        number = message.change_seq
        if number == self._change_seq + 1:
            self._change_seq = number
        elif number > self._change_seq + 1:
            background_tasks.create(self.catch_up(), name='chat catch-up')

    def _apply_change(self, message: MessageData) -> None:
        if message.seq > self.window.last_seq:
            known = self._early.get(message.seq)
            if known is None or known.change_seq < message.change_seq:
                self._early[message.seq] = message
            return
        self.messages.replace(message)
        if self.replying == message.seq and message.deleted:
            self.cancel_reply()

    def _on_action(self, act: str, seq: int, emoji: str) -> None:
        """A click on a button inside the messages (checked by ``MessageList``)."""
        if act == 'readers':
            self.show_readers()
            return
        shown = self.messages.find(seq)
        if shown is None or self.closed or shown.kind != 'text' or shown.deleted:
            return
        if act == 'menu':
            message_actions.show_actions(self, shown)
        elif act == 'react':
            background_tasks.create(message_actions.react(self, seq, emoji), name='chat react')
        elif act == 'quote' and shown.reply is not None:
            background_tasks.create(self.jump_to(shown.reply.seq), name='chat jump')

    def open_attach(self, *, with_kept_files: bool = False) -> None:
        """The dialog that sends a picture or a file (made the first time)."""
        if self.closed or not self.identity.is_current():
            return
        if self._attach is None:
            self._attach = AttachDialog(self.chat, self.client, me=self.me, conversation_id=self.conversation_id,
                                        root=self.root, max_bytes=self.chat.files.max_upload_bytes,
                                        send=self.send_file)
        self._attach.open(with_kept_files=with_kept_files)

    def send_file(self, caption: str, attachment_id: int, txn: str) -> None:
        """Send the uploaded ``attachment_id`` with ``caption`` (answering the message chosen with Reply, if any)."""
        background_tasks.create(self._send_file(caption, attachment_id, txn, self.take_reply()), name='chat file')

    async def _send_file(self, caption: str, attachment_id: int, txn: str, reply_to: int | None) -> None:
        message = await self.act(conversations.send_message, conversation_id=self.conversation_id, body=caption,
                                 txn=txn, attachment_id=attachment_id, reply_to=reply_to)
        if isinstance(message, Failed):
            return
        if not self.window.live:
            await self.jump_to_latest()
        self._take(message)

    def reply_to(self, seq: int) -> None:
        """The next message I send answers message ``seq``."""
        shown = self.messages.find(seq)
        if shown is None or self.closed or shown.deleted:
            return
        self.replying = seq
        if self._reply_bar is None:
            self._reply_bar = ReplyBar(self._body, self.composer.row, self.cancel_reply)
        excerpt = quote(seq, shown.sender_id, shown.body, deleted=False).excerpt
        self._reply_bar.show(self.name_of(shown.sender_id), excerpt)
        self.composer.focus()

    def cancel_reply(self) -> None:
        self.replying = None
        if self._reply_bar is not None:
            self._reply_bar.hide()

    def take_reply(self) -> int | None:
        seq = self.replying
        if seq is not None:
            self.cancel_reply()
        return seq

    async def jump_to(self, seq: int) -> None:
        """Show message ``seq`` highlighted: where it is shown, or with the page of history that starts at it."""
        if seq <= self.window.floor or seq > self.window.last_seq:
            return
        if self.messages.find(seq) is None:
            async with self._lock:
                page = await self.act(conversations.messages_after, conversation_id=self.conversation_id,
                                      after_seq=seq - 1)
                if isinstance(page, Failed) or not page:
                    return
                self.window.show_from(page[:conversations.PAGE_SIZE],
                                      last_seq=max(self.window.last_seq, page[-1].seq))
                self.messages.flush()
                self._update_buttons()
        self.messages.set_target(seq)
        self.attention.show_target()

    # --- history -------------------------------------------------------------------------------------------------

    async def load_earlier(self) -> None:
        """Bring back the page before the oldest message shown; past ``MAX_SHOWN`` the newest ones make room."""
        async with self._lock:
            first = self.window.first_seq
            if first is None or first <= self.window.floor + 1:
                return
            earlier = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                     before_seq=first)
            if not isinstance(earlier, Failed):
                self.window.prepend(earlier)
                self.messages.flush()
            self._update_buttons()

    async def load_later(self) -> None:
        """While the window shows history: bring the page after the newest message shown."""
        async with self._lock:
            end = self.window.shown_last
            if end is None or self.window.live:
                return
            later = await self.act(conversations.messages_after, conversation_id=self.conversation_id,
                                   after_seq=end)
            if not isinstance(later, Failed):
                self.window.append_later(later[:conversations.PAGE_SIZE])
                self.messages.flush()
            self._update_buttons()
        self._want_read()

    async def jump_to_unread(self) -> None:
        """Show the first page of unread messages, with the "New messages" line at its top."""
        if self._unread_above is None:
            return
        async with self._lock:
            page = await self.act(conversations.messages_after, conversation_id=self.conversation_id,
                                  after_seq=self._unread_above - 1)
            if isinstance(page, Failed) or not page:
                return
            self.window.show_from(page[:conversations.PAGE_SIZE], last_seq=max(self.window.last_seq, page[-1].seq))
            self._unread_above = None
            self.messages.flush()
            self._update_buttons()
        self.attention.watch()  # scrolls the line into view and says again where the reader is

    async def jump_to_latest(self) -> None:
        """Leave the history and show the newest page again, then whatever arrived while it was read."""
        async with self._lock:
            await self._show_latest()
        await self.catch_up()
        self._want_read()

    async def _show_latest(self, *, skipped_from: int | None = None) -> None:
        latest = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                before_seq=None)
        if isinstance(latest, Failed):
            return
        self.window.reset(latest, skipped_from=skipped_from)
        self.messages.flush()
        self._update_receipt(at_once=True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        window = self.window
        if window.count == 0 and self.empty is None:
            self.empty = self._lazy(lambda: ui.label('No messages yet: say hello!').classes('muted self-center mt-4'),
                                    before=self.messages.element)
        if self.empty is not None:
            self.empty.set_visibility(window.count == 0)
        if window.has_earlier and self.earlier_button is None:
            self.earlier_button = self._lazy(
                lambda: hook(ui.button('Load earlier messages', on_click=self.load_earlier), 'load-earlier')
                .props('flat dense no-caps').classes('self-center'), before=self.empty or self.messages.element)
        if self.earlier_button is not None:
            # One button either way: after a long absence it says how many new messages lie above.
            self.earlier_button.set_visibility(window.has_earlier)
            if window.skipped:
                self.earlier_button.set_text(f'{window.skipped} earlier new messages · show them')
            elif self.earlier_button.text != 'Load earlier messages':
                self.earlier_button.set_text('Load earlier messages')
        if self.unread_button is not None:
            first = window.first_seq
            self.unread_button.set_visibility(self._unread_above is not None and first is not None
                                              and self._unread_above < first)
        if not window.live and self.latest_button is None:
            self.latest_button = self._lazy(
                lambda: hook(ui.button('Jump to the latest messages', icon='south', on_click=self.jump_to_latest),
                             'jump-latest').props('unelevated rounded dense no-caps').classes('self-center mb-2'))
        if self.latest_button is not None:
            self.latest_button.set_visibility(not window.live)
            self.latest_button.set_text(f'{window.unseen} new · jump to the latest' if window.unseen
                                        else 'Jump to the latest messages')
        if not window.live and self.later_button is None:
            self.later_button = self._lazy(
                lambda: hook(ui.button('Show newer messages', on_click=self.load_later), 'load-later')
                .props('flat dense no-caps').classes('self-center'), before=self.latest_button)
        if self.later_button is not None:
            self.later_button.set_visibility(not window.live)

    def _lazy(self, make: Callable[[], E], *, before: ui.element | None = None) -> E:
        """An element of the list's column made now, before ``before`` (else last)."""
        with self._column:
            element = make()
        if before is not None:
            element.move(self._column, target_index=self._column.default_slot.children.index(before))
        return element

    # --- reads and receipts --------------------------------------------------------------------------------------

    def _want_read(self) -> None:
        """Something new may have been seen: hand it to the read marker (one write for every page of the process)."""
        seq = self._unread_seen()
        if seq is None or seq <= self._asked_read or self.closed or not self.still_signed_in():
            return  # a tab signed out elsewhere marks nothing; its next event or action sends it to the login page
        self._asked_read = seq
        self.chat.marker.mark(self.me, self.conversation_id, seq, self._marked)

    def reads_live(self) -> bool:
        """Whether a message arriving now is read at once: the person looks at the newest messages (the list beside
        the view shows it as read rather than flash a badge until the read marker has written it)."""
        return self.attention.looking and self.window.live and not self.closed

    def _unread_seen(self) -> int | None:
        """The newest message shown, when the person is looking and has not read it yet."""
        shown = self.window.shown_last
        if not self.attention.looking or shown is None or shown <= self._read_seq:
            return None
        return shown

    def _marked(self, position: int | None) -> None:
        """The read marker wrote my position (None: the conversation is no longer mine)."""
        if position is None:
            self.close()
        else:
            self._read_seq = max(self._read_seq, position)

    def _read_moved(self, event: ReadMoved) -> None:
        if event.user_id == self.me:  # another tab of mine read it
            self._read_seq = max(self._read_seq, event.read_seq)
        elif self.receipts.read(event.user_id, event.read_seq, event.read_at):
            self._update_receipt()

    def _update_receipt(self, *, at_once: bool = False) -> None:
        """Move the receipt line, at most once per ``RECEIPTS_EVERY`` (the last change always shows)."""
        if at_once:
            self._draw_receipt()
            return
        if self._receipts_timer is None:
            delay = max(0.0, self._receipts_at + RECEIPTS_EVERY - time.monotonic())
            self._receipts_timer = asyncio.get_running_loop().call_later(delay, self._draw_receipt)

    def _draw_receipt(self) -> None:
        if self._receipts_timer is not None:
            self._receipts_timer.cancel()
            self._receipts_timer = None
        self._receipts_at = time.monotonic()
        if not self.client.is_deleted:
            self.messages.set_receipt(self.receipts.line(self.messages.seqs_of(self.me)))

    def show_readers(self) -> None:
        """Who has read the message under the "Seen by N" line (groups)."""
        line = self.painter.receipt
        if line is None or not line.names:
            return
        names = self.receipts.names_of(line.seq, self.name_of)
        with self.root, ui.dialog() as dialog, hook(ui.card(), 'readers-dialog').classes('gap-1 min-w-[16rem]'):
            ui.label('Seen by').classes('text-lg font-bold').props('role=heading aria-level=2')
            for name in names:
                hook(ui.label(name), 'reader')
            ui.button('Close', on_click=dialog.close).props('flat no-caps').classes('self-end')
        dialog.on('hide', dialog.delete)
        dialog.open()

    # --- typing --------------------------------------------------------------------------------------------------

    def _typing(self, active: bool) -> None:
        """The browser says I started typing (again) or emptied the box."""
        if self.closed or not self.identity.is_current():
            return
        background_tasks.create(self.chat.ephemeral.typing(actor_id=self.me, conversation_id=self.conversation_id,
                                                           active=active), name='chat typing')

    def _typing_heard(self, event: Typing) -> None:
        if event.user_id == self.me:
            return
        if (fade := self._fades.pop(event.user_id, None)) is not None:
            fade.cancel()
        if event.active:
            name = self._names.get(event.user_id, event.name)
            changed = self.typists.start(event.user_id, name)
            self._fades[event.user_id] = asyncio.get_running_loop().call_later(
                FADE, self._faded, event.user_id)
        else:
            changed = self.typists.stop(event.user_id)
        if changed:
            self._show_typists()

    def _faded(self, user_id: int) -> None:
        self._fades.pop(user_id, None)
        if self.typists.stop(user_id):
            self._show_typists()

    def _show_typists(self) -> None:
        text = '' if self.closed else self.typists.text()
        if self._typing_line is None:
            if not text or self.client.is_deleted:
                return
            with self._body:
                self._typing_line = hook(ui.label(), 'typing').classes('chat-typing')
            index = self._body.default_slot.children.index(self.composer.row)
            self._typing_line.move(self._body, target_index=index)
        self._typing_line.set_text(text)

    # --- the header and the group --------------------------------------------------------------------------------

    async def _show_presence(self) -> None:
        if self.peer is None or self.closed:
            return
        seen = await self.chat.ephemeral.presence_of(actor_id=self.me, user_ids=[self.peer.id])
        if not self.client.is_deleted:
            self.header.show_presence(seen.get(self.peer.id))

    async def show_profile(self) -> None:
        """The other person's profile card (a direct chat)."""
        if self.peer is not None and not self.closed:
            await open_profile_card(self, self._relation_change, profiles.profile_card, user_id=self.peer.id)

    async def _relation_change(self, fn: Callable[..., object], **kwargs: Any) -> None:
        """An action of the card (block, unfriend…): its events close this view if it ends the conversation."""
        await self.act(fn, **kwargs)

    async def toggle_mute(self) -> None:
        muted = not self.info.muted
        done = await self.act(groups.set_muted, conversation_id=self.conversation_id, muted=muted)
        if not isinstance(done, Failed):
            self.info = self.info.model_copy(update={'muted': muted})
            self.header.set_muted(muted)

    async def show_members(self) -> None:
        if self.closed or self.members_dialog is not None:
            return
        self.members_dialog = MembersDialog(self)
        await self.members_dialog.show()

    def _person_changed(self, person: UserPublic) -> None:
        """Someone shown here has a new name or picture: the header (my peer), the members dialog and the blocks
        that show them are drawn again from the event, with no read. A view that missed the event reads both again
        in ``_refresh`` (after a reconnect or a broker gap)."""
        if self.closed or self.client.is_deleted:
            return
        if self.peer is not None and person.id == self.peer.id:
            self.peer = person
            self.info = self.info.model_copy(update={'peer': person, 'title': person.label})
            self.header.show_peer(person)
        member = any(each.user.id == person.id for each in self.info.members)
        if member:
            self.info = self.info.model_copy(update={'members': [
                each.model_copy(update={'user': person}) if each.user.id == person.id else each
                for each in self.info.members]})
        mine = person.id == self.me  # my messages say "You" and show no picture; only the members dialog shows me
        changed = not mine and person.id in self._names and self._names[person.id] != person.label
        if changed:
            self._names[person.id] = person.label
        if self.group and member and not mine:
            picture = avatar_img(person.avatar, AVATAR_PX) if person.avatar else None
            if self._pictures.get(person.id) != picture:
                changed = True
                if picture is None:
                    self._pictures.pop(person.id, None)
                else:
                    self._pictures[person.id] = picture
        if changed:
            self.messages.redraw_person(person.id)
        if self.members_dialog is not None:
            self.members_dialog.person_changed(person)

    def _membership_changed(self, event: MembershipChanged) -> None:
        if event.change == 'deleted':
            self.close(CLOSED_BY['deleted'])
        elif self.me in event.user_ids and event.change in ('removed', 'left'):
            self.close(CLOSED_BY[event.change])
        else:
            self._refresher.request()

    async def _refresh(self) -> None:
        """Read the conversation again: its name, members, my role, mute and who shares receipts."""
        if self.closed:
            return
        info = await self.act(conversations.open_conversation, conversation_id=self.conversation_id, quiet=True)
        if isinstance(info, Failed):
            if info.code == conversations.NOT_AVAILABLE_CODE:
                self.close()
            return
        if self.closed or self.client.is_deleted:
            return
        known, pictures = dict(self._names), self._pictures
        self.info = info.model_copy(update={'messages': []})  # only the window shows messages
        self.peer = info.peer
        self._learn_names(info)
        self._learn_usernames(info)
        blocked = frozenset(info.blocked)
        if blocked != self.painter.blocked:
            self.painter.blocked = blocked
            known = {}  # everything is drawn again below
        self.header.update(info)
        self.receipts.replace(info.receipts)
        if self._names != known or self._pictures != pictures:  # a name or picture whose event was missed
            self.messages.redraw()
        self._update_receipt()
        if self.members_dialog is not None:
            await self.members_dialog.refresh()

    # --- closing -------------------------------------------------------------------------------------------------

    def close(self, reason: str | None = None) -> None:
        """The conversation is no longer mine (unfriended, removed, left, gone): stop taking input, say why."""
        if self.closed:
            return
        self.closed = True
        for handle in (self._receipts_timer, *self._fades.values()):
            if handle is not None:
                handle.cancel()
        self._fades.clear()
        if self.client.is_deleted:
            return
        self.composer.set_visibility(False)
        self.cancel_reply()
        self.painter.actions = False
        self.messages.redraw()
        self._show_typists()
        if self.members_dialog is not None:
            self.members_dialog.dialog.close()
        text = reason or (CLOSED_GROUP if self.group else CLOSED_DIRECT)
        with self._body:
            hook(ui.label(text), 'conversation-closed').classes('text-negative self-center').props('role=status')


@functools.lru_cache(maxsize=1024)
def describe(body: str, me: int) -> str:
    """A timeline event's sentence for ``me``, remembered: a block is drawn again for every message that joins it,
    and on every page of a group (a group's first event lists everyone it added, as JSON to decode)."""
    return timeline.describe(_Body(body), me)


@dataclass(frozen=True)
class _Body:
    body: str


def _spawn(name: str) -> Callable[[Any], asyncio.Task[None]]:
    return lambda job: background_tasks.create(job, name=name)
