"""What a person can do with one message: react, reply, and (their own) edit or delete; each in a small dialog.

The dialogs are made when asked for and deleted when closed: a page holds none of these elements while nobody uses
them. The edit box is written by the server once, when it opens, and read once, on Save, so no echo of a value the
server set can overwrite what the person typed (see NICEGUI-FACTS, "Inputs").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nicegui import ui

from chatapp.services import message_changes
from models import REACTIONS
from models.message import MAX_MESSAGE_LENGTH
from pages.chat.bubble import Shown
from pages.feedback import Failed
from pages.hooks import hook

if TYPE_CHECKING:
    from pages.chat.view import ChatView


def show_actions(view: ChatView, shown: Shown) -> None:
    """The menu of message ``shown``: the quick reactions (and who chose each), Reply, and Edit and Delete on mine."""
    mine = shown.sender_id == view.me
    with view.root, ui.dialog() as dialog, hook(ui.card(), 'message-actions-dialog').classes('gap-2 min-w-[18rem]'):
        ui.label('Message').classes('text-lg font-bold').props('role=heading aria-level=2')
        with ui.row().classes('gap-1'):
            for emoji in REACTIONS:
                chosen = any(used == emoji and view.me in user_ids for used, user_ids in shown.reactions)
                hook(ui.button(emoji, on_click=lambda _, e=emoji: _react(view, dialog, shown.seq, e)), 'react-choice') \
                    .props(f'flat dense no-caps aria-label="React with {emoji}" aria-pressed={str(chosen).lower()}') \
                    .classes('text-xl' + (' reaction-chosen' if chosen else ''))
        for emoji, user_ids in shown.reactions:
            names = ', '.join(view.name_of(user_id) for user_id in user_ids)
            hook(ui.label(f'{emoji} {names}'), 'reacted-by').classes('text-sm')
        with ui.row().classes('gap-1 justify-end w-full'):
            hook(ui.button('Reply', icon='reply', on_click=lambda: _then(dialog, view.reply_to, shown.seq)),
                 'reply').props('flat no-caps')
            if mine:
                hook(ui.button('Edit', icon='edit', on_click=lambda: _then(dialog, show_edit, view, shown)),
                     'edit').props('flat no-caps')
                hook(ui.button('Delete', icon='delete', on_click=lambda: _then(dialog, confirm_delete, view, shown)),
                     'delete').props('flat no-caps color=negative')
            ui.button('Close', on_click=dialog.close).props('flat no-caps')
    dialog.on('hide', dialog.delete)
    dialog.open()


def show_edit(view: ChatView, shown: Shown) -> None:
    """Edit my message: a box with its text; Save stores it, and a refusal is said in the dialog."""
    with view.root, ui.dialog() as dialog, hook(ui.card(), 'edit-dialog').classes('gap-2 w-[32rem] max-w-full'):
        ui.label('Edit message').classes('text-lg font-bold').props('role=heading aria-level=2')
        box = hook(ui.textarea(value=shown.body), 'edit-input').classes('w-full') \
            .props(f'autofocus outlined autogrow maxlength={MAX_MESSAGE_LENGTH} counter aria-label="Message text"')
        problem = hook(ui.label(''), 'edit-problem').classes('text-negative text-sm').props('role=alert')

        async def save() -> None:
            changed = await view.act(message_changes.edit_message, conversation_id=view.conversation_id,
                                     seq=shown.seq, body=str(box.value or ''), quiet=True)
            if isinstance(changed, Failed):
                problem.set_text(changed.message)
                return
            view.changed(changed)
            dialog.close()

        with ui.row().classes('gap-1 justify-end w-full'):
            ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
            hook(ui.button('Save', on_click=save), 'edit-save').props('unelevated no-caps')
    dialog.on('hide', dialog.delete)
    dialog.open()


def confirm_delete(view: ChatView, shown: Shown) -> None:
    """Delete my message for everyone, once the person confirms."""
    with view.root, ui.dialog() as dialog, hook(ui.card(), 'delete-dialog').classes('gap-2'):
        ui.label('Delete this message for everyone?').classes('text-lg font-bold') \
            .props('role=heading aria-level=2')
        ui.label('Everyone in the conversation will see "This message was deleted".').classes('text-sm')

        async def delete() -> None:
            dialog.close()
            deleted = await view.act(message_changes.delete_message, conversation_id=view.conversation_id,
                                     seq=shown.seq)
            if not isinstance(deleted, Failed):
                view.changed(deleted)

        with ui.row().classes('gap-1 justify-end w-full'):
            ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
            hook(ui.button('Delete', on_click=delete), 'delete-confirm').props('unelevated no-caps color=negative')
    dialog.on('hide', dialog.delete)
    dialog.open()


async def react(view: ChatView, seq: int, emoji: str) -> None:
    """Toggle my ``emoji`` on message ``seq``."""
    changed = await view.act(message_changes.toggle_reaction, conversation_id=view.conversation_id, seq=seq,
                             emoji=emoji)
    if not isinstance(changed, Failed):
        view.changed(changed)


def _then(dialog: ui.dialog, action: Callable[..., None], *args: Any) -> None:
    """Close the menu, then do what was chosen in it."""
    dialog.close()
    action(*args)


async def _react(view: ChatView, dialog: ui.dialog, seq: int, emoji: str) -> None:
    dialog.close()
    await react(view, seq, emoji)
