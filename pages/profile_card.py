"""A person's profile card: a dialog with their name, @username, "about" line and the action that fits where I stand
with them (chat, accept, add, or edit my own), plus blocking. Pages open it with ``open_profile_card``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nicegui import ui

from chatapp.schemas import Profile, Relation
from chatapp.services import blocking, friendships
from pages.avatar import avatar
from pages.feedback import Failed
from pages.hooks import hook

Change = Callable[..., Awaitable[None]]
"""``change(service_fn, **kwargs)``: run a relation change as the page does (then the page reloads its lists)."""


class Acting(Protocol):
    """What the card needs of the page's view (``pages.base_view.SignedInView``)."""

    async def act(self, fn: Callable[..., Any], /, *, quiet: bool = False, **kwargs: Any) -> Any: ...


async def open_profile_card(view: Acting, change: Change, read: Callable[..., Profile], **kwargs: Any) -> None:
    """Read the card with service ``read`` (``profiles.profile_card`` by id, ``profiles.found_card`` by username)
    and show it; a refusal is shown as a notification by ``act``."""
    card = await view.act(read, **kwargs)
    if not isinstance(card, Failed):
        ProfileDialog(card, change).open()


class ProfileDialog(ui.dialog):
    """The card itself; every action closes it and goes through ``change``."""

    def __init__(self, card: Profile, change: Change) -> None:
        super().__init__()
        self.card = card
        self._change = change
        person = card.user
        with self, hook(ui.card(), 'profile-card').classes('glass p-6 gap-3 items-center min-w-72'):
            avatar(person, size='xl')
            hook(ui.label(person.label), 'profile-card-name').classes('text-xl font-bold')
            ui.label(f'@{person.username}').classes('muted -mt-3')
            if card.about:
                hook(ui.label(card.about), 'profile-card-about').classes('text-center break-words max-w-xs')
            with ui.row().classes('gap-2 justify-center'):
                self._actions()
                ui.button('Close', on_click=self.close).props('flat rounded no-caps')

    def _actions(self) -> None:
        card, person = self.card, self.card.user
        if card.me:
            hook(ui.button('Edit profile', icon='edit', on_click=lambda: ui.navigate.to('/settings')),
                 'profile-card-edit').props('unelevated rounded no-caps')
            return
        if card.blocked:
            hook(ui.button('Unblock', on_click=lambda: self._do(blocking.unblock, user_id=person.id)),
                 'profile-card-unblock').props('unelevated rounded no-caps')
            return
        if card.relation == Relation.FRIENDS:
            hook(ui.button('Chat', icon='chat', on_click=lambda: ui.navigate.to(f'/chat/{person.username}')),
                 'profile-card-chat').props('unelevated rounded no-caps')
        elif card.relation == Relation.INCOMING:
            hook(ui.button('Accept', on_click=lambda: self._do(friendships.accept_request, requester_id=person.id)),
                 'profile-card-accept').props('unelevated rounded no-caps color=positive')
        elif card.relation == Relation.REQUESTED:
            hook(ui.chip('Request sent', icon='schedule'), 'profile-card-requested').props('outline')
        else:
            hook(ui.button('Add friend', icon='person_add',
                           on_click=lambda: self._do(friendships.send_request, target_id=person.id)),
                 'profile-card-add').props('unelevated rounded no-caps')
        hook(ui.button('Block', icon='block', on_click=lambda: self._do(blocking.block, user_id=person.id)),
             'profile-card-block').props('flat rounded no-caps color=negative') \
            .tooltip('They are not told. Ends your friendship or request; unblock in Settings.')

    async def _do(self, fn: Callable[..., object], **kwargs: Any) -> None:
        self.close()
        await self._change(fn, **kwargs)
