"""The signup page."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import Client, app, ui

from chatapp.app import ChatApp
from chatapp.security.limits import from_address
from chatapp.services import accounts
from pages.errors import shows_errors
from pages.feedback import Failed, attempt
from pages.frame import Heading, frame
from pages.hooks import hook
from pages.identity import remember
from pages.login import password_input
from pages.navigation import safe_next
from pages.timezone import BrowserZone


def register(chat: ChatApp) -> None:
    @ui.page('/signup')
    @shows_errors
    async def signup_page(client: Client, next: str = '/') -> None:
        target = safe_next(next)
        storage = app.storage.user
        with frame('Sign up', heading=False), ui.card().classes('glass w-full max-w-md self-center p-6 gap-3'):
            SignupForm(chat, client, storage, target)


class SignupForm:
    """The form and its handler; the service checks every rule, the hints only explain them."""

    def __init__(self, chat: ChatApp, client: Client, storage: dict, target: str) -> None:
        self.chat = chat
        self.address = client.ip  # sign-ups are limited per client address
        self.zone = BrowserZone(client)
        self.storage = storage
        self.target = target
        self.navigate = ui.navigate  # see pages.navigation
        Heading('Create your account').classes('text-2xl font-bold m-0')
        self.username = hook(ui.input('Username'), 'signup-username').classes('w-full') \
            .props('autofocus autocomplete=username hint="3-32 characters: a-z, 0-9, _ . -"')
        self.display_name = hook(ui.input('Display name (optional)'), 'signup-display-name').classes('w-full') \
            .props('autocomplete=nickname')
        self.password = password_input('Password', 'signup-password', autocomplete='new-password') \
            .props('hint="At least 8 characters; not a common one"')
        self.password.on('keydown.enter', self.submit)
        self.error = hook(ui.label(), 'signup-error').classes('text-negative text-sm')
        self.button = hook(ui.button('Sign up', on_click=self.submit), 'signup-submit').classes('w-full') \
            .props('unelevated rounded')
        with ui.row().classes('gap-1 text-sm'):
            ui.label('Already have an account?')
            ui.link('Log in', '/login' if target == '/' else f'/login?next={quote(target, safe="")}')

    async def submit(self) -> None:
        if not self.button.enabled:
            return
        self.button.disable()
        try:
            with from_address(self.address):
                user = await attempt(self.chat.run(accounts.signup, username=self.username.value or '',
                                                   password=self.password.value or '',
                                                   display_name=self.display_name.value or ''), quiet=True)
        finally:
            self.button.enable()
        if isinstance(user, Failed):
            self.error.set_text(user.message)
            return
        remember(self.storage, user, self.zone)
        self.navigate.to(self.target)
