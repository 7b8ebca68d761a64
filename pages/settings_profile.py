"""The "Profile" card of ``/settings``: my picture (``pages.settings_avatar``), display name and "about" line, as
others see them on my profile card."""

from __future__ import annotations

from nicegui import ui

from chatapp.app import ChatApp
from chatapp.schemas import Profile
from chatapp.services import profiles
from models.user import ABOUT_MAX, DISPLAY_NAME_MAX
from pages.base_view import SignedInView
from pages.feedback import Failed
from pages.hooks import hook
from pages.identity import Identity
from pages.settings_avatar import AvatarPicker


class ProfileForm(SignedInView):
    """Both fields are saved together; a refusal is written under the form and leaves the fields as typed. The
    picture is saved on its own, as soon as it is uploaded."""

    def __init__(self, chat: ChatApp, identity: Identity, mine: Profile) -> None:
        super().__init__(chat, identity)
        with ui.card().classes('glass p-6 gap-3 w-full max-w-xl self-center'):
            ui.label('Profile').classes('text-lg font-bold').props('role=heading aria-level=2')
            ui.label(f'@{mine.user.username}').classes('text-sm muted -mt-2')
            self.picture = AvatarPicker(self, mine.user)
            self.name = hook(ui.input('Display name', value=mine.user.display_name), 'profile-name') \
                .classes('w-full').props(f'maxlength={DISPLAY_NAME_MAX} autocomplete=nickname '
                                         'hint="Empty: people see your username"')
            self.about = hook(ui.input('About', value=mine.about), 'profile-about').classes('w-full') \
                .props(f'maxlength={ABOUT_MAX} counter hint="A line about you, shown on your profile card"')
            self.error = hook(ui.label(), 'profile-error').classes('text-negative text-sm').props('role=alert')
            with ui.row().classes('items-center gap-3'):
                self.button = hook(ui.button('Save profile', on_click=self.save), 'profile-save') \
                    .props('unelevated rounded no-caps')
                self.saved = hook(ui.label(), 'profile-saved').classes('text-sm muted').props('role=status')

    async def save(self) -> None:
        if not self.button.enabled:
            return
        self.button.disable()
        self.saved.set_text('')
        try:
            stored = await self.act(profiles.update_profile, quiet=True, display_name=self.name.value or '',
                                    about=self.about.value or '')
        finally:
            self.button.enable()
        if isinstance(stored, Failed):
            self.error.set_text(stored.message)
            return
        self.error.set_text('')
        self.name.set_value(stored.user.display_name)
        self.about.set_value(stored.about)
        self.saved.set_text('Profile saved.')
