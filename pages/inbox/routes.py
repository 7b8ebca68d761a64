"""The routes of the inbox: ``/`` (the list, a friendly empty pane beside it), ``/chat/<username>`` and
``/group/<id>`` (the list beside the open conversation).

Both panes are on every one of these pages; CSS media queries (``inbox.css``) decide what shows: both at 1024 px and
wider, below that the list alone on ``/`` and the conversation alone (with its back arrow) elsewhere. No script
measures the window, so a phone never loads the desktop layout first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import Client, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.errors import Invalid, NotFound
from chatapp.schemas import ChatInfo
from chatapp.services import conversations
from pages.admission import between_parts, build_turn
from pages.chat.view import ChatView
from pages.dormancy import Dormancy
from pages.errors import shows_errors
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.inbox.notifier import Notifier
from pages.inbox.view import InboxView

Opener = Callable[[Identity], Awaitable[ChatInfo | None]]
MAX_ID_DIGITS = 18
"""A group id longer than this is no id of ours (and would overflow the database's integer)."""


def register(chat: ChatApp) -> None:
    @ui.page('/')
    @shows_errors
    async def inbox_page(client: Client) -> RedirectResponse | None:
        return await _show(chat, client, '/', None)

    @ui.page('/chat/{username}')
    @shows_errors
    async def direct_page(client: Client, username: str, at: str = '') -> RedirectResponse | None:
        async def open_direct(identity: Identity) -> ChatInfo | None:
            return await _open(chat, conversations.open_direct, identity, peer_username=username)

        return await _show(chat, client, f'/chat/{username}', open_direct, at=_seq(at))

    @ui.page('/group/{conversation_id}')
    @shows_errors
    async def group_page(client: Client, conversation_id: str, at: str = '') -> RedirectResponse | None:
        # Taken as text: a path that is no number gets the same card as a group I am not in, not FastAPI's 422.
        async def open_group(identity: Identity) -> ChatInfo | None:
            if not (conversation_id.isascii() and conversation_id.isdigit()) or len(conversation_id) > MAX_ID_DIGITS:
                return None
            return await _open(chat, conversations.open_conversation, identity,
                               conversation_id=int(conversation_id))

        return await _show(chat, client, f'/group/{conversation_id}', open_group, at=_seq(at))


def _seq(at: str) -> int | None:
    """``?at=<seq>`` (a search result, a shared link): the message to show first; anything else is ignored."""
    return int(at) if at.isascii() and at.isdigit() and len(at) <= MAX_ID_DIGITS else None


async def _show(chat: ChatApp, client: Client, path: str, opener: Opener | None, *, at: int | None = None
                ) -> RedirectResponse | None:
    """Build one of the inbox pages; ``opener`` reads the conversation to open beside the list (None: ``/``), and
    ``at`` is a message of it to show first."""
    if redirect := anonymous_redirect(path):
        return redirect
    identity = await require_identity(chat, client, path)
    if identity is None:
        return None
    info = await opener(identity) if opener is not None else None
    title = 'Chats' if opener is None else info.title if info is not None else 'Not available'
    view: ChatView | None = None
    shell = 'inbox-shell' if opener is None else 'inbox-shell inbox-shell--open'
    async with build_turn():  # see pages.admission
        with frame(title, identity, body_classes='inbox-body'), ui.element('div').classes(shell):
            await between_parts()
            inbox = InboxView(chat, identity, active=info.conversation_id if info is not None else None)
            if info is not None:  # the list shows senders' names: those of the open conversation are known already
                for member in info.members:
                    inbox.listing.names.setdefault(member.user.id, member.user.label)
            await between_parts()
            with hook(ui.element('section'), 'conversation-pane').classes('conversation-pane') \
                    .props('aria-label=Conversation'):
                if opener is None:
                    _nothing_open()
                elif info is None:
                    _not_available()
                else:
                    view = ChatView(chat, identity, info)
                    inbox.reading = view.reads_live
    notifier = Notifier(chat, identity, looking_at=info.conversation_id if info is not None else None,
                        looking=(lambda: view.attention.looking) if view is not None else None,
                        position=(info.read_seq, info.last_seq) if info is not None else None)
    if chat.settings.dormant_after_seconds:
        dormancy = Dormancy(identity, after=chat.settings.dormant_after_seconds, path=path, title=client.title or '',
                            busy=(lambda: len(view.outbox) > 0) if view is not None else (lambda: False))
        if view is None:
            dormancy.watch()  # a chat view's attention asks the browser already
    for listener in (view, inbox, notifier):
        if listener is not None:  # before reading, so no change falls in between
            await chat.hub.attach(identity.user.id, listener, client)
    if view is not None:
        await view.catch_up()  # anything sent between reading the page and attaching
    await asyncio.gather(inbox.start(), notifier.start())
    if view is not None:
        if at is not None:
            await view.jump_to(at)
        await view.restore()  # waits for the browser's answer: the list must not wait with it
    return None


async def _open(chat: ChatApp, service: Callable[..., ChatInfo], identity: Identity, **kwargs: object
                ) -> ChatInfo | None:
    try:
        return await chat.run(service, actor_id=identity.user.id, **kwargs)
    except (NotFound, Invalid):
        return None


def _nothing_open() -> None:
    with hook(ui.element('div'), 'inbox-empty-state').classes('inbox-empty-state glass'):
        ui.icon('forum', size='xl', color='primary')
        ui.label('Pick a conversation on the left, or start a new one.').classes('text-center')


def _not_available() -> None:
    with hook(ui.card(), 'not-available').classes('glass p-6 self-center items-center gap-3 mt-8'):
        ui.icon('lock', size='xl', color='primary')
        ui.label(conversations.NOT_AVAILABLE).classes('text-center')
        ui.link('Back to chats', '/').classes('inbox-back-link')
