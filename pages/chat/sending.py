"""The sending half of a chat view: a queue of sends (``pages.chat.outbox``) stored in order in the background.

Each send carries the browser's transaction id, so a retry or a re-send after a restart is stored at most once. A
send that fails on our side is retried a few times; one the server refuses stays on the page with Retry and Discard.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from html import escape

from nicegui import background_tasks, ui
from nicegui.elements.html import Html

from chatapp.errors import Invalid
from chatapp.schemas import MessageData
from chatapp.services import conversations
from pages.base_view import SignedInView
from pages.chat.bubble import Block
from pages.chat.composer import Composer
from pages.chat.messages import MessageList
from pages.chat.outbox import Outbox, Pending, State
from pages.chat.window import MessageWindow
from pages.feedback import Failed
from pages.hooks import hook

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


class SendingView(SignedInView):
    """What ``ChatView`` sends with; the view builds the parts named here."""

    conversation_id: int
    closed: bool
    composer: Composer
    messages: MessageList
    window: MessageWindow[Block]
    _column: ui.column

    def _init_sending(self) -> None:
        self.outbox = Outbox()
        self._sending = False
        self._confirmed: list[str] = []
        self._confirming = False
        self._pending_rows: dict[str, ui.element] = {}
        """Failed sends, each a row of elements (its Retry and Discard buttons)."""
        self._sending_rows: list[str] = []
        """Sends shown as "Sending…", all drawn in ``_sending_html``."""
        self._sending_html: Html | None = None
        self._pending_list: ui.column | None = None

    @abstractmethod
    def close(self, reason: str | None = None) -> None:
        """Stop taking input and say why (``None``: the conversation is no longer available)."""

    @abstractmethod
    async def jump_to_latest(self) -> None:
        """Show the newest page again."""

    @abstractmethod
    def _take(self, message: MessageData) -> None:
        """Take in a stored message."""

    @abstractmethod
    def take_reply(self) -> int | None:
        """The message the next send answers (and forget it: one send answers it)."""

    def send(self, text: str, txn: str) -> None:
        """Queue ``text`` (exactly what the box held when Enter was pressed) and send in the background, in order;
        it answers the message chosen with "Reply", if any."""
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
        if self.outbox.add(txn, text, self.take_reply()) is not None:
            self._start_sending()

    async def restore_sends(self) -> None:
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
        loop = asyncio.get_running_loop()
        try:
            while not self.closed and (pending := self.outbox.next()) is not None:
                # A timer, not a task to wait on with a timeout: a task and a wait for each message cost it another
                # turn of the event loop on its way to the other screen.
                slow = loop.call_later(SHOW_PENDING_AFTER, self._show_waiting)
                try:
                    await self._store(pending)
                finally:
                    slow.cancel()
        finally:
            self._sending = False
            if self._confirmed and not self._confirming:
                self._confirming = True
                background_tasks.create(self._confirm_later(), name='chat confirm')

    def _show_waiting(self) -> None:
        """The send under way is slow: show it, and every send queued behind it, as "Sending…"."""
        for waiting in self.outbox:
            if waiting.txn not in self._pending_rows and waiting.txn not in self._sending_rows:
                self._draw_pending(waiting.txn)

    async def _confirm_later(self) -> None:
        """Tell the browser which sends are stored, once for a burst of them (each is one message to the tab)."""
        await asyncio.sleep(CONFIRM_AFTER)
        self._confirming = False
        confirmed, self._confirmed = self._confirmed, []
        self.composer.confirm(self.client, confirmed)

    async def _store(self, pending: Pending) -> None:
        for delay in (*RETRY_DELAYS, None):
            message = await self._send_one(pending)
            if not isinstance(message, Failed):
                self.outbox.done(pending.txn)
                self._confirmed.append(pending.txn)
                self._forget_pending(pending.txn)
                if not self.window.live:
                    await self.jump_to_latest()
                else:
                    await asyncio.sleep(0)  # the broker's delivery to the other members' pages goes first
                self._take(message)  # usually a duplicate by now: the delivery to my own views drew it
                return
            if message.code == conversations.NOT_AVAILABLE_CODE:
                self.close(None)
            if message.code != TRANSIENT or delay is None or self.closed:
                self.outbox.fail(pending.txn, message.message)
                self._draw_pending(pending.txn)
                return
            await asyncio.sleep(delay)

    async def _send_one(self, pending: Pending) -> MessageData | Failed:
        while True:
            message = await self.act(conversations.send_message, conversation_id=self.conversation_id,
                                     body=pending.text, txn=pending.txn, reply_to=pending.reply_to, quiet=True)
            if not (isinstance(message, Failed) and message.code == conversations.BAD_REPLY_CODE
                    and pending.reply_to is not None):
                return message
            pending.reply_to = None  # the answered message was deleted meanwhile: the text still goes, unquoted

    def _retry(self, txn: str) -> None:
        if self.outbox.retry(txn):
            self._draw_pending(txn)
            self._start_sending()

    def _discard(self, txn: str) -> None:
        self.outbox.done(txn)
        self._forget_pending(txn)
        self.composer.confirm(self.client, [txn])

    def _draw_pending(self, txn: str) -> None:
        """One row per pending send: its text, and either "Sending…" or why it failed with Retry and Discard.

        The sending ones are HTML in one element: when the server is busy every send takes that row for a moment,
        and a row of elements made and removed per message cost about 0.5 ms of server CPU each (scenario c)."""
        pending = next((p for p in self.outbox if p.txn == txn), None)
        if pending is None:
            return
        self._forget_pending(txn)
        if pending.state is not State.FAILED:
            self._sending_rows.append(txn)
            self._draw_sending()
            return
        with self.pending_list(), hook(ui.column(), 'pending-message').classes('items-end w-full gap-0') as row:
            ui.label(pending.text).classes('bubble bubble--sent bubble--pending')
            with ui.row().classes('items-center gap-1 no-wrap'):
                hook(ui.label(f'Not sent: {pending.reason}'), 'pending-failed').classes('text-negative text-xs')
                hook(ui.button('Retry', on_click=lambda: self._retry(txn)), 'pending-retry') \
                    .props('flat dense no-caps size=sm')
                hook(ui.button('Discard', on_click=lambda: self._discard(txn)), 'pending-discard') \
                    .props('flat dense no-caps size=sm')
        self._pending_rows[txn] = row

    def _draw_sending(self) -> None:
        texts = {pending.txn: pending.text for pending in self.outbox}
        content = ''.join(f'<div class="pending-row" data-testid="pending-sending">'
                          f'<div class="bubble bubble--sent bubble--pending">{escape(texts[txn])}</div>'
                          f'<span class="text-xs muted">Sending…</span></div>'
                          for txn in self._sending_rows if txn in texts)
        if self._sending_html is None:
            with self.pending_list():
                self._sending_html = hook(Html(content), 'pending-sending-list').classes('w-full')
            self._sending_html.move(target_index=0)
        elif self._sending_html.content != content:
            self._sending_html.set_content(content)

    def _forget_pending(self, txn: str) -> None:
        if (row := self._pending_rows.pop(txn, None)) is not None:
            self.pending_list().remove(row)
        if txn in self._sending_rows:
            self._sending_rows.remove(txn)
            self._draw_sending()

    def pending_list(self) -> ui.column:
        """The column of unsent messages, below the messages; made the first time a send is slow or fails."""
        if self._pending_list is None:
            with self._column:
                self._pending_list = hook(ui.column(), 'pending-list').classes('w-full gap-1 px-3 pb-2')
            after = self._column.default_slot.children.index(self.messages.element) + 1
            self._pending_list.move(self._column, target_index=after)
        return self._pending_list
