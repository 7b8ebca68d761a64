"""``/settings``: my profile, the privacy switches (read receipts, presence: both reciprocal, and the page says so),
block list, password, sessions and deleting the account (``pages.settings_profile``, ``pages.settings_blocks``,
``pages.settings_account``)."""

from __future__ import annotations

from nicegui import Client, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.schemas import Privacy
from chatapp.services import blocking, privacy, profiles
from pages.base_view import SignedInView
from pages.errors import shows_errors
from pages.feedback import Failed
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.inbox.notifier import Notifier
from pages.settings_account import DeleteAccountCard, PasswordForm, SessionsCard
from pages.settings_blocks import BlockList
from pages.settings_profile import ProfileForm

PATH = '/settings'


def register(chat: ChatApp) -> None:
    @ui.page(PATH)
    @shows_errors
    async def settings_page(client: Client) -> RedirectResponse | None:
        if redirect := anonymous_redirect(PATH):
            return redirect
        identity = await require_identity(chat, client, PATH)
        if identity is None:
            return None
        choices = await chat.run(privacy.get_privacy, actor_id=identity.user.id)
        mine = await chat.run(profiles.my_profile, actor_id=identity.user.id)
        blocked = await chat.run(blocking.blocked_list, actor_id=identity.user.id)
        with frame('Settings', identity):
            ProfileForm(chat, identity, mine)
            SettingsView(chat, identity, choices)
            BlockList(chat, identity, blocked)
            PasswordForm(chat, identity)
            SessionsCard(chat, identity)
            DeleteAccountCard(chat, identity)
        notifier = Notifier(chat, identity)
        await chat.hub.attach(identity.user.id, notifier, client)
        await notifier.start()
        return None


class SettingsView(SignedInView):
    """Two switches; each change is stored at once, and a refused one flips back."""

    def __init__(self, chat: ChatApp, identity: Identity, choices: Privacy) -> None:
        super().__init__(chat, identity)
        with ui.card().classes('glass p-6 gap-4 w-full max-w-xl self-center'):
            ui.label('Privacy').classes('text-lg font-bold').props('role=heading aria-level=2')
            self.receipts = hook(ui.switch('Read receipts', value=choices.read_receipts,
                                           on_change=lambda e: self.save(read_receipts=e.value)), 'privacy-receipts')
            ui.label('Others see when you have read their messages, and you see when they have read yours. '
                     'Off: neither.').classes('text-sm muted -mt-3 ml-12')
            self.presence = hook(ui.switch('Online status', value=choices.show_presence,
                                           on_change=lambda e: self.save(show_presence=e.value)), 'privacy-presence')
            ui.label('Friends and group members see when you are online and when you were last seen, and you see '
                     'theirs. Off: neither.').classes('text-sm muted -mt-3 ml-12')
            self.saved = hook(ui.label(''), 'privacy-saved').classes('text-sm muted').props('role=status')
        self.choices = choices

    async def save(self, **change: bool) -> None:
        if all(getattr(self.choices, name) == value for name, value in change.items()):
            return  # the switch was put back after a refusal
        stored = await self.act(privacy.set_privacy, **change)
        if isinstance(stored, Failed):
            self.show(self.choices)
            return
        self.choices = stored
        self.saved.set_text('Saved.')
        if 'show_presence' in change:
            await self._tell_presence()

    def show(self, choices: Privacy) -> None:
        self.receipts.set_value(choices.read_receipts)
        self.presence.set_value(choices.show_presence)

    async def _tell_presence(self) -> None:
        """Presence is ephemeral and never travels with a transaction: the path that announces it is told here (see
        ``services.privacy``), so friends see the change at once. It never raises."""
        await self.chat.ephemeral.privacy_changed(actor_id=self.me)
