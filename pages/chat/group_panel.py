"""The members dialog of a group: who is in it (avatar and name; a click opens their profile card) and who is an
admin; admins rename, remove and make admins; anyone adds their own friends or leaves.

It is built when opened and deleted when closed (elements are memory on every open page), from a fresh read of the
group, and drawn again after each change it makes. Every action goes through the group services, which check that
the person may act; a refusal (a name too long, no longer an admin) shows in the dialog and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nicegui import ui

from chatapp.schemas import ChatInfo, UserPublic
from chatapp.services import conversations, groups, profiles
from pages.avatar import avatar
from pages.feedback import Failed
from pages.hooks import hook
from pages.profile_card import open_profile_card

if TYPE_CHECKING:
    from pages.chat.view import ChatView

ADMIN = 'admin'


class MembersDialog:
    """One open members dialog of ``view``."""

    def __init__(self, view: ChatView) -> None:
        self.view = view
        self._picked: dict[int, ui.checkbox] = {}
        self._faces: dict[int, tuple[ui.element, bool]] = {}
        """Each member's avatar and name (the element holding them, and whether it is me), by user id."""
        with view.root, ui.dialog() as self.dialog, \
                hook(ui.card(), 'members-dialog').classes('w-full max-w-md gap-2'):
            self.body = ui.column().classes('w-full gap-2')
        self.dialog.on('hide', self._closed)

    async def show(self) -> None:
        if await self.refresh():
            self.dialog.open()
        else:
            self.dialog.delete()

    async def refresh(self) -> bool:
        """Read the group again and draw it; False when it is no longer mine to see (the view closes itself)."""
        info = await self.view.act(conversations.open_conversation, conversation_id=self.view.conversation_id,
                                   quiet=True)
        if isinstance(info, Failed):
            if self.dialog.value:
                self.dialog.close()
            return False
        self._draw(info)
        return True

    def _draw(self, info: ChatInfo) -> None:
        me = self.view.me
        admin = info.my_role == ADMIN
        self.body.clear()
        self._picked = {}
        self._faces = {}
        with self.body:
            ui.label(info.title).classes('text-lg font-bold').props('role=heading aria-level=2')
            if admin:
                with ui.row().classes('w-full items-start no-wrap gap-2'):
                    name = hook(ui.input('Group name', value=info.title), 'rename-input').classes('flex-grow') \
                        .props('outlined dense maxlength=200')
                    hook(ui.button('Rename', on_click=lambda: self._rename(name.value)), 'rename-save') \
                        .props('unelevated no-caps')
            self._note = hook(ui.label(), 'members-note').classes('text-negative text-sm').props('role=alert')
            self._note.set_visibility(False)
            count = len(info.members)
            ui.label(f'{count} member' if count == 1 else f'{count} members').classes('text-sm muted')
            order = sorted(info.members, key=lambda m: (m.role != ADMIN, m.user.label.casefold()))
            with ui.column().classes('w-full gap-1').props('role=list'):
                for member in order:
                    self._member_row(member.user, member.role == ADMIN, mine=member.user.id == me, admin=admin)
            self._adding = ui.column().classes('w-full gap-1')
            with self._adding:
                hook(ui.button('Add friends', icon='person_add', on_click=self._show_addable), 'add-friends') \
                    .props('flat no-caps')
            with ui.row().classes('w-full justify-between'):
                hook(ui.button('Leave group', icon='logout', on_click=self._leave), 'leave-group') \
                    .props('flat no-caps color=negative')
                hook(ui.button('Close', on_click=self.dialog.close), 'members-close').props('flat no-caps')

    def _member_row(self, user: UserPublic, is_admin: bool, *, mine: bool, admin: bool) -> None:
        with hook(ui.row(), 'member-row').classes('w-full items-center no-wrap gap-2').props('role=listitem'):
            with hook(ui.element('div'), f'member-profile-{user.username}') \
                    .classes('flex items-center no-wrap gap-2 flex-grow min-w-0 cursor-pointer') \
                    .props('role=button tabindex=0') as opener:
                _face(opener, user, mine=mine)
            self._faces[user.id] = (opener, mine)
            opener.on('click', lambda: self._open_card(user)).on('keydown.enter', lambda: self._open_card(user))
            if is_admin:
                hook(ui.badge('admin', color='primary'), 'admin-badge')
            if admin and not mine:
                if not is_admin:
                    hook(ui.button('Make admin', on_click=lambda: self._act(groups.make_admin, user_id=user.id)),
                         f'make-admin-{user.username}').props('flat dense no-caps size=sm')
                hook(ui.button('Remove', on_click=lambda: self._act(groups.remove_member, user_id=user.id)),
                     f'remove-{user.username}').props('flat dense no-caps size=sm color=negative')

    def person_changed(self, user: UserPublic) -> None:
        """A member has a new name or picture (``ProfileChanged``): their row shows it, with no read (the order
        stays until the dialog is drawn again)."""
        face = self._faces.get(user.id)
        if face is None:
            return
        opener, mine = face
        opener.clear()
        with opener:
            _face(opener, user, mine=mine)
        opener.update()

    async def _open_card(self, user: UserPublic) -> None:
        """The member's profile card, over this dialog (fellow members may open each other's cards)."""
        await open_profile_card(self.view, self._card_change, profiles.profile_card, user_id=user.id)

    async def _card_change(self, fn: Callable[..., object], **kwargs: Any) -> None:
        """An action of the card (add friend, block…): membership stays, so the list needs no redraw."""
        await self.view.act(fn, **kwargs)

    async def _show_addable(self) -> None:
        friends = await self.view.act(groups.addable_friends, conversation_id=self.view.conversation_id)
        if isinstance(friends, Failed):
            return
        self._adding.clear()
        with self._adding:
            if not friends:
                hook(ui.label('All your friends are in this group already.'), 'no-addable').classes('text-sm muted')
                return
            ui.label('Add friends').classes('text-sm font-medium')
            for friend in friends:
                self._picked[friend.id] = hook(ui.checkbox(friend.label), f'addable-{friend.username}')
            hook(ui.button('Add', on_click=self._add), 'add-selected').props('unelevated no-caps')

    async def _add(self) -> None:
        chosen = [user_id for user_id, box in self._picked.items() if box.value]
        if not chosen:
            self._say('Pick at least one friend to add.')
            return
        await self._act(groups.add_members, user_ids=chosen)

    async def _rename(self, title: str) -> None:
        await self._act(groups.rename_group, title=title)

    async def _leave(self) -> None:
        done = await self.view.act(groups.leave_group, conversation_id=self.view.conversation_id, quiet=True)
        if isinstance(done, Failed):
            self._say(done.message)
            return
        self.dialog.close()
        self.view.close('You left this group.')

    async def _act(self, fn: Any, **kwargs: Any) -> None:
        done = await self.view.act(fn, conversation_id=self.view.conversation_id, quiet=True, **kwargs)
        if isinstance(done, Failed):
            self._say(done.message)
            return
        await self.refresh()

    def _say(self, text: str) -> None:
        self._note.set_text(text)
        self._note.set_visibility(True)

    def _closed(self) -> None:
        self.view.members_dialog = None
        self.dialog.delete()


def _face(opener: ui.element, user: UserPublic, *, mine: bool) -> None:
    """A member's avatar and name, inside ``opener`` (which opens their card and is named for it)."""
    # set directly: a props string is parsed, and a name may hold spaces or quotes
    opener.props['aria-label'] = 'Your profile' if mine else f'Profile of {user.label}'
    avatar(user)
    ui.label(f'{user.label} (you)' if mine else user.label).classes('ellipsis')
