"""The one-to-one chat page: the newest messages, earlier ones on demand, new ones live."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from nicegui import Client, background_tasks, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.errors import NotFound
from chatapp.events import Event, FriendshipChanged, MessagePosted
from chatapp.schemas import ChatInfo, MessageData
from chatapp.services import conversations
from pages.avatar import avatar
from pages.base_view import SignedInView
from pages.bubble import Block, Look
from pages.feedback import Failed
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.timezone import stamp, zone_of

LIVE_BLOCK_MESSAGES = 10
LIVE_BLOCK_CHARS = 4000
"""Messages that arrive live join the newest block until it holds this many messages or characters of text, then a
new block starts: a new element per message costs more server time than re-sending a small block, and the bound
keeps each update small."""
MAX_SHOWN = 200
"""Message elements one open view holds at most: older ones leave the page and come back with "load earlier", so a
page that stays open for days costs the same memory as a fresh one."""


def register(chat: ChatApp) -> None:
    @ui.page('/chat/{username}')
    async def chat_page(client: Client, username: str) -> RedirectResponse | None:
        path = f'/chat/{username}'
        if redirect := anonymous_redirect(path):
            return redirect
        identity = await require_identity(chat, client, path)
        if identity is None:
            return None
        info = await _open(chat, identity, username)
        with frame(info.peer.label if info else 'Not available', identity, body_classes='chat-body'):
            if info is None:
                _not_available()
                return None
            view = ChatView(chat, identity, info)
        chat.hub.attach(identity.user.id, view, client)
        await view.catch_up()  # anything sent between reading the page and attaching
        return None


async def _open(chat: ChatApp, identity: Identity, username: str) -> ChatInfo | None:
    try:
        return await chat.run(conversations.open_direct, actor_id=identity.user.id, peer_username=username)
    except NotFound:
        return None


def _not_available() -> None:
    with hook(ui.card(), 'not-available').classes('glass p-6 self-center items-center gap-3 mt-8'):
        ui.icon('lock', size='xl', color='primary')
        ui.label(conversations.NOT_AVAILABLE).classes('text-center')
        ui.button('Back to friends', on_click=lambda: ui.navigate.to('/')).props('unelevated rounded no-caps')


@dataclass
class Shown:
    """One block of the message list (a page of history, or messages that arrived live) and the ``seq`` of its
    oldest message."""

    first: int
    block: Block


class ChatView(SignedInView):
    """Shows each message exactly once and in order, in a window of at most ``MAX_SHOWN`` messages.

    ``last_seq`` is the newest sequence number this view has taken in. A message with ``last_seq + 1`` is taken; one
    at or below it is a duplicate (the broker's echo of my own message, a replay) and ignored; one further ahead means
    something was missed, so the view reads the gap from the database, which is the source of truth.

    The window normally ends at ``last_seq`` (``live``). Paging back past ``MAX_SHOWN`` drops the newest elements
    instead; the view then counts what arrives and offers a jump back to the latest page. The window grows and
    shrinks by whole elements (a page of history leaves in one piece).
    """

    def __init__(self, chat: ChatApp, identity: Identity, info: ChatInfo) -> None:
        super().__init__(chat, identity)
        self.conversation_id = info.conversation_id
        self.peer = info.peer
        self.zone = zone_of(identity.accounts)
        self.shown: deque[Shown] = deque()
        self.last_seq = 0
        self.live = True
        self.unseen = 0
        self.closed = False
        self._sync_lock = asyncio.Lock()
        self._sending = False
        self._outgoing: deque[str] = deque()
        self._build()
        self._show_page(info.messages)

    def _build(self) -> None:
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to('/')) \
                .props('flat round dense aria-label="Back to friends"')
            avatar(self.peer)
            with ui.column().classes('gap-0'):
                hook(ui.label(self.peer.label), 'peer-name').classes('text-lg font-bold leading-tight')
                ui.label(f'@{self.peer.username}').classes('text-xs muted')
        # A column-reverse scroller stays pinned to its bottom as messages arrive, and keeps a reader's place while
        # they read older ones, with no scroll command sent per message.
        card = ui.card().classes('glass w-full chat-scroll p-0')
        with card, ui.element('div').classes('chat-scroller'), ui.column().classes('w-full gap-0'):
            self.earlier_button = hook(ui.button('Load earlier messages', on_click=self.load_earlier),
                                       'load-earlier').props('flat dense no-caps').classes('self-center')
            self.empty = ui.label('No messages yet: say hello!').classes('muted self-center mt-4')
            self.list = hook(ui.column(), 'message-list').classes('w-full gap-1 px-3 pb-2')
            self.latest_button = hook(ui.button('Jump to the latest messages', icon='south',
                                                on_click=self.jump_to_latest), 'jump-latest') \
                .props('unelevated rounded dense no-caps').classes('self-center mb-2')
        with ui.row().classes('w-full items-center no-wrap gap-2') as self.composer:
            self.input = hook(ui.input(placeholder=f'Message {self.peer.label}'), 'message-input') \
                .classes('flex-grow').props('outlined rounded dense autofocus')
            self.input.on('keydown.enter', self.send)
            hook(ui.button(icon='send', on_click=self.send), 'message-send') \
                .props('round unelevated aria-label=Send')
        self.closed_note = hook(ui.label('This conversation is closed: you are no longer friends.'),
                                'conversation-closed').classes('text-negative self-center')
        self.closed_note.set_visibility(False)

    def send(self) -> None:
        """Take the typed text the moment Enter is pressed, clear the input, and store the text in the background.

        Synchronous on purpose: a keystroke that follows Enter cannot change what was sent, and a second Enter
        while the first message is being stored queues a second message instead of being ignored. Messages leave
        in the order they were typed; a refused one comes back into the (empty) input with the reason shown."""
        if self.closed:
            return
        self._outgoing.append(self.input.value or '')
        self.input.set_value('')
        if not self._sending:
            self._sending = True
            background_tasks.create(self._send_outgoing(), name='chat send')

    async def _send_outgoing(self) -> None:
        try:
            while self._outgoing and not self.closed:
                await self._store(self._outgoing.popleft())
        finally:
            self._sending = False

    async def _store(self, text: str) -> None:
        message = await self.act(conversations.send_message, conversation_id=self.conversation_id, body=text)
        if isinstance(message, Failed):
            if message.code == conversations.NOT_AVAILABLE_CODE:
                self.close()
            elif not self.input.value:
                self.input.set_value(text)
            return
        if not self.live:
            await self.jump_to_latest()
        self._receive(message)

    async def handle(self, event: Event) -> None:
        if not self.still_signed_in():
            return
        if isinstance(event, MessagePosted) and event.message.conversation_id == self.conversation_id:
            self._receive(event.message)
        elif isinstance(event, FriendshipChanged) and self.peer.id in event.user_ids and event.status == 'removed':
            self.close()

    async def resync(self) -> None:
        await self.catch_up()

    async def catch_up(self) -> None:
        """Take in whatever the database has after ``last_seq``, a batch at a time; serialised so that two
        catch-ups (or a catch-up and a jump to the latest page) never interleave."""
        async with self._sync_lock:
            while True:
                messages = await self.act(conversations.messages_after, conversation_id=self.conversation_id,
                                          after_seq=self.last_seq, quiet=True)
                if isinstance(messages, Failed):
                    if messages.code == conversations.NOT_AVAILABLE_CODE:
                        self.close()
                    return
                for message in messages:
                    self._receive(message)
                if len(messages) < conversations.CATCH_UP_LIMIT:
                    return

    async def load_earlier(self) -> None:
        """Bring back the page before the oldest message shown; past ``MAX_SHOWN`` the newest ones make room."""
        if not self.shown:
            return
        earlier = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                 before_seq=self.shown[0].first)
        if isinstance(earlier, Failed) or not earlier:
            return
        with self.list:
            block = self._block(earlier).move(self.list, target_index=0)
        self.shown.appendleft(Shown(earlier[0].seq, block))
        while self.shown_count > MAX_SHOWN:
            self._forget(self.shown.pop())
            self.live = False
        self._update_buttons()

    async def jump_to_latest(self) -> None:
        """Leave the history and show the newest page again.

        ``last_seq`` restarts from that page: a message that arrived while the page was being read is newer than
        it and comes in with the catch-up that follows, so nothing that arrived meanwhile is lost."""
        async with self._sync_lock:
            latest = await self.act(conversations.messages_before, conversation_id=self.conversation_id,
                                    before_seq=None)
            if isinstance(latest, Failed):
                return
            self.list.clear()
            self.shown.clear()
            self.live = True
            self.unseen = 0
            self.last_seq = 0
            self._show_page(latest)
        await self.catch_up()

    def close(self) -> None:
        """The friendship ended: stop taking input, say why."""
        if self.closed:
            return
        self.closed = True
        self.composer.set_visibility(False)
        self.closed_note.set_visibility(True)

    def _show_page(self, messages: list[MessageData]) -> None:
        if messages:
            with self.list:
                self._add(Shown(messages[0].seq, self._block(messages)))
            self.last_seq = max(self.last_seq, messages[-1].seq)
        self._update_buttons()

    def _receive(self, message: MessageData) -> None:
        if message.seq <= self.last_seq:
            return  # already taken in
        if message.seq > self.last_seq + 1:
            background_tasks.create(self.catch_up(), name='chat catch-up')  # a gap: the database fills it
            return
        self.last_seq = message.seq
        if self.live:
            self._append(message)
        else:
            self.unseen += 1
        self._update_buttons()

    def _append(self, message: MessageData) -> None:
        """A live message joins the newest block while that has room (a live view's newest block ends at
        ``last_seq``), else starts a block of its own."""
        newest = self.shown[-1].block if self.shown else None
        if newest is not None and newest.count < LIVE_BLOCK_MESSAGES and newest.chars < LIVE_BLOCK_CHARS:
            newest.extend(self._look(message))
            self._make_room()
        else:
            with self.list:
                self._add(Shown(message.seq, self._block([message])))

    def _add(self, shown: Shown) -> None:
        """Take ``shown`` in as the newest block."""
        self.shown.append(shown)
        self._make_room()

    def _make_room(self) -> None:
        """The oldest blocks leave while the window holds more than ``MAX_SHOWN`` messages."""
        while self.shown_count > MAX_SHOWN:
            self._forget(self.shown.popleft())

    @property
    def shown_count(self) -> int:
        """Messages the window holds."""
        return sum(shown.block.count for shown in self.shown)

    def _forget(self, shown: Shown) -> None:
        self.list.remove(shown.block)

    def _update_buttons(self) -> None:
        self.empty.set_visibility(not self.shown)
        self.earlier_button.set_visibility(bool(self.shown) and self.shown[0].first > 1)
        self.latest_button.set_visibility(not self.live)
        self.latest_button.set_text(f'{self.unseen} new · jump to the latest' if self.unseen
                                    else 'Jump to the latest messages')

    def _block(self, messages: list[MessageData]) -> Block:
        return hook(Block([self._look(message) for message in messages]), 'message-block')

    def _look(self, message: MessageData) -> Look:
        """Text, name, time and side of ``message`` as this view shows it."""
        mine = message.sender_id == self.me
        return message.body, 'You' if mine else self.peer.label, stamp(message.created_at, self.zone), mine
