"""The account cards of ``/settings``: change the password, sign out everywhere, delete the account.

Each answers in the page: a refusal under its form, a success beside its button. Signing out everywhere and deleting
the account send this tab to the login page at once; the account's other pages follow when they hear
``SessionsEnded`` (``pages.session_watch``).
"""

from __future__ import annotations

from nicegui import ui

from chatapp.app import ChatApp
from chatapp.services import deletion, sessions
from pages.base_view import SignedInView
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity
from pages.login import password_input
from pages.navigation import login_url

MISMATCH = 'The two new passwords are not the same.'


class PasswordForm(SignedInView):
    """Current password, new password twice. This browser stays signed in; every other one is signed out."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        super().__init__(chat, identity)
        with ui.card().classes('glass p-6 gap-3 w-full max-w-xl self-center'):
            ui.label('Password').classes('text-lg font-bold').props('role=heading aria-level=2')
            self.old = password_input('Current password', 'password-old', autocomplete='current-password')
            self.new = password_input('New password', 'password-new', autocomplete='new-password') \
                .props('hint="At least 8 characters; not a common one"')
            self.again = password_input('New password again', 'password-again', autocomplete='new-password')
            ui.label('Your other browsers and devices will be signed out; this one stays signed in.') \
                .classes('text-sm muted')
            self.error = hook(ui.label(), 'password-error').classes('text-negative text-sm').props('role=alert')
            with ui.row().classes('items-center gap-3'):
                self.button = hook(ui.button('Change password', on_click=self.save), 'password-save') \
                    .props('unelevated rounded no-caps')
                self.saved = hook(ui.label(), 'password-saved').classes('text-sm muted').props('role=status')

    async def save(self) -> None:
        if not self.button.enabled:
            return
        self.saved.set_text('')
        if (self.new.value or '') != (self.again.value or ''):
            self.error.set_text(MISMATCH)
            return
        self.button.disable()
        try:
            epoch = await self.act(sessions.change_password, quiet=True, old_password=self.old.value or '',
                                   new_password=self.new.value or '', client_key=self.address,
                                   kept=self.identity.browser)
        finally:
            self.button.enable()
        for field in (self.old, self.new, self.again):
            field.set_value('')
        if isinstance(epoch, Failed):
            self.error.set_text(epoch.message)
            return
        self.identity.renew(epoch)
        self.error.set_text('')
        self.saved.set_text('Password changed. Your other browsers have been signed out.')


class SessionsCard(SignedInView):
    """"Sign out everywhere": every browser signed in as this account, this one included."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        super().__init__(chat, identity)
        with ui.card().classes('glass p-6 gap-3 w-full max-w-xl self-center'):
            ui.label('Sessions').classes('text-lg font-bold').props('role=heading aria-level=2')
            ui.label('Lost a device, or signed in somewhere you should not have? Sign out of every browser and device, '
                     'this one included.').classes('text-sm muted')
            hook(ui.button('Sign out everywhere', icon='logout', on_click=self.confirm), 'sign-out-everywhere') \
                .props('outline rounded no-caps').classes('self-start')

    def confirm(self) -> None:
        with ui.dialog() as dialog, ui.card().classes('glass p-4'):
            ui.label('Sign out of every browser and device, this one included?')
            with ui.row().classes('justify-end w-full'):
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')

                async def sign_out() -> None:
                    dialog.close()
                    await self.sign_out()

                hook(ui.button('Sign out everywhere', on_click=sign_out), 'confirm-sign-out-everywhere') \
                    .props('unelevated no-caps color=negative')
        dialog.open()

    async def sign_out(self) -> None:
        if not isinstance(await self.act(sessions.sign_out_everywhere), Failed):
            self.identity.forget()
            self.navigate.to(login_url('/settings'))


class DeleteAccountCard(SignedInView):
    """Deleting the account, with the password; the page says what stays (docs/security.md says it in full)."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        super().__init__(chat, identity)
        with ui.card().classes('glass p-6 gap-3 w-full max-w-xl self-center'):
            ui.label('Delete account').classes('text-lg font-bold').props('role=heading aria-level=2')
            ui.label('Your profile, friendships, friend requests and blocks are removed, you leave every group, and '
                     'you are signed out everywhere. Messages you sent stay in their conversations, shown as '
                     '"Deleted account". This cannot be undone.').classes('text-sm muted')
            self.password = password_input('Password', 'delete-password', autocomplete='current-password')
            self.error = hook(ui.label(), 'delete-error').classes('text-negative text-sm').props('role=alert')
            self.button = hook(ui.button('Delete my account', icon='delete_forever', on_click=self.confirm),
                               'delete-account').props('unelevated rounded no-caps color=negative') \
                .classes('self-start')

    def confirm(self) -> None:
        if not self.password.value:
            self.error.set_text('Type your password to delete your account.')
            return
        with ui.dialog() as dialog, ui.card().classes('glass p-4'):
            ui.label('Delete your account for good?')
            with ui.row().classes('justify-end w-full'):
                ui.button('Keep my account', on_click=dialog.close).props('flat no-caps')

                async def delete() -> None:
                    dialog.close()
                    await self.delete()

                hook(ui.button('Delete', on_click=delete), 'confirm-delete-account') \
                    .props('unelevated no-caps color=negative')
        dialog.open()

    async def delete(self) -> None:
        if not self.button.enabled:
            return
        self.button.disable()
        try:
            done = await self.act(deletion.delete_account, quiet=True, password=self.password.value or '',
                                  client_key=self.address)
        finally:
            self.button.enable()
        self.password.set_value('')
        if isinstance(done, Failed):
            self.error.set_text(done.message)
            return
        self.identity.forget()
        self.navigate.to('/login')
