"""The conversation view: a thin shell that renders a ``MessageWindow`` and sends through an ``Outbox``.

Every change to the window that awaits the database (a catch-up, a page of history, a jump to the latest page) runs
under one lock, so none of them sees another half done; messages heard from the broker are taken in synchronously,
between those awaits, and the window's sequence numbers make each shown exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nicegui import background_tasks, ui

from chatapp.app import ChatApp
from chatapp.errors import Invalid
from chatapp.events import Event, FriendshipChanged, MessagePosted
from chatapp.schemas import ChatInfo, MessageData
from chatapp.services import conversations
from pages.avatar import avatar
from pages.base_view import SignedInView
from pages.chat.bubble import Block, Look
from pages.chat.composer import Composer
from pages.chat.outbox import Outbox, Pending, State
from pages.chat.window import MAX_SHOWN, MessageWindow, Taken
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity
from pages.timezone import stamp, zone_of

RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
"""Seconds between automatic attempts of a send that failed on our side (the database away or busy); after the last
one the send shows as failed, with a button to try again."""
TRANSIENT = 'error'
"""``Failed.code`` of a failure on our side, worth retrying by itself."""
MAX_UNSENT = 50
"""Sends a view holds that are not stored yet (queued or failed)."""
SHOW_PENDING_AFTER = 0.3
"""Seconds a send may take before the page shows it as "Sending…" below the messages."""
CONFIRM_AFTER = 1.0
"""Seconds between telling the browser which sends are stored (until then a reload would re-send them, which
stores nothing twice)."""


class ChatView(SignedInView):
    """One open conversation: header, messages, pending sends, composer."""

    def __init__(self, chat: ChatApp, identity: Identity, info: ChatInfo) -> None:
        super().__init__(chat, identity)
        self.conversation_id = info.conversation_id
        self.peer = info.peer
        self.zone = zone_of(identity.accounts)
        self.closed = False
        self.outbox = Outbox()
        self._lock = asyncio.Lock()
        self._sending = False
        self._confirmed: list[str] = []
        self._confirming = False
        self._pending_rows: dict[str, ui.element] = {}
        self._build()
        self.window: MessageWindow[Block] = MessageWindow(self)
        self.window.reset(info.messages)
        self._update_buttons()

    def _build(self) -> None:
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            ui.button(icon='arrow_back', on_click=lambda: self.navigate.to('/')) \
                .props('flat round dense aria-label="Back to friends"')
            avatar(self.peer)
            with ui.column().classes('gap-0'):
                hook(ui.label(self.peer.label), 'peer-name').classes('text-lg font-bold leading-tight')
                ui.label(f'@{self.peer.username}').classes('text-xs muted')
        # A column-reverse scroller stays pinned to its bottom as messages arrive, and keeps a reader's place while
        # they read older ones, with no scroll command sent per message.
        card = ui.card().classes('glass w-full chat-scroll p-0')
        # Elements that most pages never need (the rows of unsent messages, the closed note) are made when first
        # needed: every element is memory on every open page.
        with card, ui.element('div').classes('chat-scroller'), ui.column().classes('w-full gap-0') as self._column:
            self.earlier_button = hook(ui.button('Load earlier messages', on_click=self.load_earlier),
                                       'load-earlier').props('flat dense no-caps').classes('self-center')
            self.empty = ui.label('No messages yet: say hello!').classes('muted self-center mt-4')
            self.list = hook(ui.column(), 'message-list').classes('w-full gap-1 px-3 pb-2')
            self._pending_list: ui.column | None = None
            self.latest_button = hook(ui.button('Jump to the latest messages', icon='south',
                                                on_click=self.jump_to_latest), 'jump-latest') \
                .props('unelevated rounded dense no-caps').classes('self-center mb-2')
        self.composer = Composer(storage_key=f'{self.me}.{self.conversation_id}',
                                 placeholder=f'Message {self.peer.label}', on_send=self.send,
                                 on_problem=self._refused_in_browser)
        self._body = ui.context.slot.parent

    # --- sending -------------------------------------------------------------------------------------------------

    def send(self, text: str, txn: str) -> None:
        """Queue ``text`` (exactly what the box held when Enter was pressed) and send in the background, in order."""
        if self.closed:
            return
        try:  # the browser checked already; a forged event's text is checked here, before it takes any room
            text = conversations.message_text(text)
        except Invalid as problem:
            self.composer.show_problem(str(problem))
            return
        if len(self.outbox) >= MAX_UNSENT:  # each failed send is a row on the page: a script must not pile them up
            self.composer.show_problem(f'{MAX_UNSENT} messages are not sent yet. Retry or discard some first; '
                                       'this one comes back when you reload the page.')
            return
        if self.outbox.add(txn, text) is not None:
            self._start_sending()

    async def restore(self) -> None:
        """After the page is built: the browser's draft goes back into the box, and sends it never saw confirmed
        (the server went away meanwhile) go out again under their own ids, so none is lost or stored twice."""
        for txn, text in await self.composer.restore(self.client):
            self.send(text, txn)

    def _refused_in_browser(self, code: str, length: int) -> None:
        self.composer.show_problem(conversations.problem_message(code, length))

    def _start_sending(self) -> None:
        if not self._sending:
            self._sending = True
            background_tasks.create(self._send_all(), name='chat send')

    async def _send_all(self) -> None:
        """Store the queue in order. A send shows as "Sending…" (with everything queued behind it) only when it takes
        longer than ``SHOW_PENDING_AFTER``: most take milliseconds, and a row drawn and removed for each would cost
        more server time than the message itself."""
        try:
            while not self.closed and (pending := self.outbox.next()) is not None:
                store = asyncio.ensure_future(self._store(pending))
                done, _ = await asyncio.wait({store}, timeout=SHOW_PENDING_AFTER)
                if not done:
                    for waiting in self.outbox:
                        if waiting.txn not in self._pending_rows:
                            self._draw_pending(waiting.txn)
                await store
        finally:
            self._sending = False
            if self._confirmed and not self._confirming:
                self._confirming = True
                background_tasks.create(self._confirm_later(), name='chat confirm')

    async def _confirm_later(self) -> None:
        """Tell the browser which sends are stored, once for a burst of them (each is one message to the tab)."""
        await asyncio.sleep(CONFIRM_AFTER)
        self._confirming = False
        confirmed, self._confirmed = self._confirmed, []
        self.composer.confirm(self.client, confirmed)

    async def _store(self, pending: Pending) -> None:
        for delay in (*RETRY_DELAYS, None):
            message = await self.act(conversations.send_message, conversation_id=self.conversation_id,
                                     body=pending.text, txn=pending.txn, quiet=True)
            if not isinstance(message, Failed):
                self.outbox.done(pending.txn)
                self._confirmed.append(pending.txn)
                self._forget_pending(pending.txn)
                if not self.window.live:
                    await self.jump_to_latest()
                self._take(message)
                return
            if message.code == conversations.NOT_AVAILABLE_CODE:
                self.close()
            if message.code != TRANSIENT or delay is None or self.closed:
                self.outbox.fail(pending.txn, message.message)
                self._draw_pending(pending.txn)
                return
            await asyncio.sleep(delay)

    def _retry(self, txn: str) -> None:
        if self.outbox.retry(txn):
            self._draw_pending(txn)
            self._start_sending()

    def _discard(self, txn: str) -> None:
        self.outbox.done(txn)
        self._forget_pending(txn)
        self.composer.confirm(self.client, [txn])

    def _draw_pending(self, txn: str) -> None:
        """One row per pending send: its text, and either "Sending…" or why it failed with Retry and Discard."""
        pending = next((p for p in self.outbox if p.txn == txn), None)
        if pending is None:
            return
        self._forget_pending(txn)
        with self.pending_list(), hook(ui.column(), 'pending-message').classes('items-end w-full gap-0') as row:
            ui.label(pending.text).classes('bubble bubble--sent bubble--pending')
            if pending.state is State.FAILED:
                with ui.row().classes('items-center gap-1 no-wrap'):
                    hook(ui.label(f'Not sent: {pending.reason}'), 'pending-failed').classes('text-negative text-xs')
                    hook(ui.button('Retry', on_click=lambda: self._retry(txn)), 'pending-retry') \
                        .props('flat dense no-caps size=sm')
                    hook(ui.button('Discard', on_click=lambda: self._discard(txn)), 'pending-discard') \
                        .props('flat dense no-caps size=sm')
            else:
                ui.label('Sending…').classes('text-xs muted')
        self._pending_rows[txn] = row

    def _forget_pending(self, txn: str) -> None:
        if (row := self._pending_rows.pop(txn, None)) is not None:
            self.pending_list().remove(row)

    def pending_list(self) -> ui.column:
        """The column of unsent messages, below the messages; made the first time a send is slow or fails."""
        if self._pending_list is None:
            with self._column:
                self._pending_list = hook(ui.column(), 'pending-list').classes('w-full gap-1 px-3 pb-2')
            self._pending_list.move(self._column, target_index=self._column.default_slot.children.index(self.list) + 1)
        return self._pending_list

    # --- receiving -----------------------------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        if not self.still_signed_in():
            return
        if isinstance(event, MessagePosted) and event.message.conversation_id == self.conversation_id:
            self._take(event.message)
        elif isinstance(event, FriendshipChanged) and self.peer.id in event.user_ids and event.status == 'removed':
            self.close()

    async def resync(self) -> None:
        await self.catch_up()

    async def catch_up(self) -> None:
        """Take in whatever the database has after the newest message taken in. When that is more than the window
        holds (the view was away long), show the newest page and say how many new messages lie above it."""
        async with self._lock:
            while True:
                after = self.window.last_seq
                messages = await self.act(conversations.messages_after, conversation_id=self.conversation_id,
                                          after_seq=after, quiet=True)
                if isinstance(messages, Failed):
                    if messages.code == conversations.NOT_AVAILABLE_CODE:
                        self.close()
                    return
                if len(messages) > MAX_SHOWN and self.window.live:
                    await self._show_latest(skipped_from=after + 1)
                    return
                for message in messages:
                    self._take(message)
                if len(messages) < conversations.CATCH_UP_LIMIT:
                    return

    async def load_earlier(self) -> None:
        """Bring back the page before the oldest message shown; past ``MAX_SHOWN`` the newest ones make room."""
        async with self._lock:
            first = self.window.first_seq
            if first is None or first <= 1:
                return
            earlier = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                     before_seq=first)
            if not isinstance(earlier, Failed):
                self.window.prepend(earlier)
            self._update_buttons()

    async def jump_to_latest(self) -> None:
        """Leave the history and show the newest page again, then whatever arrived while it was read."""
        async with self._lock:
            await self._show_latest()
        await self.catch_up()

    async def _show_latest(self, *, skipped_from: int | None = None) -> None:
        latest = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                before_seq=None)
        if isinstance(latest, Failed):
            return
        self.window.reset(latest, skipped_from=skipped_from)
        self._update_buttons()

    def close(self) -> None:
        """The friendship ended: stop taking input, say why."""
        if self.closed:
            return
        self.closed = True
        self.composer.set_visibility(False)
        with self._body:
            hook(ui.label('This conversation is closed: you are no longer friends.'), 'conversation-closed') \
                .classes('text-negative self-center')

    def _take(self, message: MessageData) -> None:
        taken = self.window.receive(message)
        if taken is Taken.GAP:
            background_tasks.create(self.catch_up(), name='chat catch-up')  # the database fills the gap
        elif taken is not Taken.DUPLICATE:
            self._update_buttons()

    def _update_buttons(self) -> None:
        window = self.window
        self.empty.set_visibility(window.count == 0)
        # One button either way: after a long absence it says how many new messages lie above.
        self.earlier_button.set_visibility(window.has_earlier)
        if window.skipped:
            self.earlier_button.set_text(f'{window.skipped} earlier new messages · show them')
        elif self.earlier_button.text != 'Load earlier messages':
            self.earlier_button.set_text('Load earlier messages')
        self.latest_button.set_visibility(not window.live)
        self.latest_button.set_text(f'{window.unseen} new · jump to the latest' if window.unseen
                                    else 'Jump to the latest messages')

    # --- the window's renderer -----------------------------------------------------------------------------------

    def new_block(self, messages: Sequence[MessageData], *, at_start: bool) -> Block:
        with self.list:
            block = hook(Block([self._look(message) for message in messages]), 'message-block')
        if at_start:
            block.move(self.list, target_index=0)
        return block

    def extend(self, block: Block, message: MessageData) -> None:
        block.extend(self._look(message))

    def remove(self, block: Block) -> None:
        self.list.remove(block)

    def _look(self, message: MessageData) -> Look:
        """Text, name, time and side of ``message`` as this view shows it."""
        mine = message.sender_id == self.me
        return message.body, 'You' if mine else self.peer.label, stamp(message.created_at, self.zone), mine
