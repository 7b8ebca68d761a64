"""The "Blocked people" card of ``/settings``: whom I block, each with "Unblock" (blocking itself is on the profile
card; see ``services.blocking`` for what a block stops)."""

from __future__ import annotations

from nicegui import ui

from chatapp.app import ChatApp
from chatapp.schemas import UserPublic
from chatapp.services import blocking
from pages.avatar import avatar
from pages.base_view import SignedInView
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity


class BlockList(SignedInView):
    """The list as read when the page opened, re-read after each unblock."""

    def __init__(self, chat: ChatApp, identity: Identity, blocked: list[UserPublic]) -> None:
        super().__init__(chat, identity)
        self.blocked = blocked
        with ui.card().classes('glass p-6 gap-3 w-full max-w-xl self-center'):
            ui.label('Blocked people').classes('text-lg font-bold').props('role=heading aria-level=2')
            ui.label('They cannot send you friend requests or add you to groups, and you do not see each other '
                     'online or typing. They are not told.').classes('text-sm muted')
            self.rows()

    @ui.refreshable_method
    def rows(self) -> None:
        if not self.blocked:
            hook(ui.label('You have not blocked anyone.'), 'blocked-none').classes('muted')
        for person in self.blocked:
            with hook(ui.row(), f'blocked-{person.username}').classes('w-full items-center no-wrap gap-2'):
                avatar(person)
                with ui.column().classes('gap-0 flex-grow min-w-0'):
                    ui.label(person.label).classes('font-medium truncate')
                    ui.label(f'@{person.username}').classes('text-xs muted truncate')
                hook(ui.button('Unblock', on_click=lambda p=person: self.unblock(p)), f'unblock-{person.username}') \
                    .props('outline rounded dense no-caps')

    async def unblock(self, person: UserPublic) -> None:
        if isinstance(await self.act(blocking.unblock, user_id=person.id), Failed):
            return
        blocked = await self.act(blocking.blocked_list)
        self.blocked = [p for p in self.blocked if p.id != person.id] if isinstance(blocked, Failed) else blocked
        self.rows.refresh()
        ui.notify(f'{person.label} is unblocked.', type='positive', position='top')
