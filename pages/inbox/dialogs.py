"""The inbox's two dialogs: "New chat" (pick a friend) and "New group" (a name and friends). Each is built when
opened and deleted when closed, so a page does not carry their elements while nobody uses them."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from nicegui import ui

from chatapp.schemas import ChatInfo, FriendsOverview, UserPublic
from chatapp.services import friendships, groups
from models.conversation import GROUP_TITLE_MAX
from pages.hooks import hook

if TYPE_CHECKING:
    from pages.base_view import SignedInView


async def new_chat_dialog(view: SignedInView) -> None:
    """Pick one of my friends and open our conversation."""
    friends = await _friends(view)
    if friends is None:
        return
    with ui.dialog() as dialog, ui.card().classes('glass p-4 gap-3 inbox-dialog'):
        ui.label('New chat').classes('text-lg font-bold').props('role=heading aria-level=2')
        if not friends:
            _no_friends()
        else:
            # Option values are ours (usernames); the browser only says which option it picked.
            pick = hook(ui.select({friend.username: f'{friend.label} (@{friend.username})' for friend in friends},
                                  label='Friend', with_input=True), 'new-chat-friend').classes('w-full')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
            if friends:
                hook(ui.button('Open chat', on_click=lambda: dialog.submit(pick.value)), 'new-chat-open') \
                    .props('unelevated rounded no-caps')
    username = await dialog  # opens it; None when dismissed
    if not dialog.is_deleted:
        dialog.delete()
    if isinstance(username, str) and username:
        view.navigate.to(f'/chat/{quote(username, safe="")}')


async def new_group_dialog(view: SignedInView) -> None:
    """Name a group and pick friends for it; a refusal (a bad name, too many people) shows in the dialog."""
    friends = await _friends(view)
    if friends is None:
        return
    with ui.dialog() as dialog, ui.card().classes('glass p-4 gap-3 inbox-dialog'):
        ui.label('New group').classes('text-lg font-bold').props('role=heading aria-level=2')
        if not friends:
            _no_friends()
        else:
            name = hook(ui.input('Group name'), 'new-group-name').classes('w-full') \
                .props(f'outlined dense maxlength={GROUP_TITLE_MAX} counter')
            members = hook(ui.select({friend.id: f'{friend.label} (@{friend.username})' for friend in friends},
                                     label='Members', multiple=True, with_input=True), 'new-group-members') \
                .classes('w-full').props('use-chips outlined dense')
            problem = hook(ui.label(), 'new-group-problem').classes('text-negative text-sm').props('role=alert')
            problem.set_visibility(False)

            async def create() -> None:
                info = await view.act(groups.create_group, title=name.value or '',
                                      member_ids=list(members.value or []), quiet=True)
                if isinstance(info, ChatInfo):
                    dialog.submit(info.path)
                else:
                    problem.set_text(info.message)
                    problem.set_visibility(True)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
            if friends:
                hook(ui.button('Create group', on_click=create), 'new-group-create') \
                    .props('unelevated rounded no-caps')
    path = await dialog
    if not dialog.is_deleted:
        dialog.delete()
    if isinstance(path, str) and path.startswith('/group/'):
        view.navigate.to(path)


async def _friends(view: SignedInView) -> list[UserPublic] | None:
    overview = await view.act(friendships.overview)
    return overview.friends if isinstance(overview, FriendsOverview) else None


def _no_friends() -> None:
    ui.label('You have no friends here yet. Find people on the Friends page.').classes('muted')
    ui.link('Go to Friends', '/friends')
