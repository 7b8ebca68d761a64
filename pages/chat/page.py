"""The route ``/chat/<username>``: the one-to-one conversation with a friend."""

from __future__ import annotations

from nicegui import Client, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.errors import NotFound
from chatapp.schemas import ChatInfo
from chatapp.services import conversations
from pages.chat.view import ChatView
from pages.errors import shows_errors
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity


def register(chat: ChatApp) -> None:
    @ui.page('/chat/{username}')
    @shows_errors
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
        await view.restore()
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
