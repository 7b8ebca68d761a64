"""The login page: a password form, plus "continue as" for accounts this browser has already proven."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import Client, app, ui

from chatapp.app import ChatApp
from chatapp.services import accounts
from chatapp.services.users import get_user
from pages.admission import build_turn
from pages.errors import shows_errors
from pages.feedback import Failed, attempt
from pages.frame import Heading, frame
from pages.hooks import hook
from pages.identity import ACCOUNTS, TAB_USER, choose, remember, tab_account
from pages.navigation import safe_next
from pages.timezone import BrowserZone


def register(chat: ChatApp) -> None:
    @ui.page('/login')
    @shows_errors
    async def login_page(client: Client, next: str = '/') -> None:
        target = safe_next(next)
        storage = app.storage.user
        known = dict(storage.get(ACCOUNTS, {}))
        async with build_turn():  # a burst of logins builds one page at a time (see pages.admission)
            with frame('Log in', heading=False), ui.card().classes('glass w-full max-w-md self-center p-6 gap-3'):
                LoginForm(chat, client, storage, target, known)  # built with the page: no empty card meanwhile
        navigate = ui.navigate  # see pages.navigation
        await client.connected()
        if not client.has_socket_connection:
            return  # the tab went away before its socket connected (NiceGUI then deletes the page)
        if tab_account(storage, client) is not None:
            navigate.to(target)  # this tab is signed in already


class LoginForm:
    """The form and its handlers."""

    def __init__(self, chat: ChatApp, client: Client, storage: dict, target: str, known: dict[str, str]) -> None:
        self.chat = chat
        self.storage = storage
        self.target = target
        self.navigate = ui.navigate  # see pages.navigation
        self.zone = BrowserZone(client)
        self.client_key = client.request.client.host if client.request and client.request.client else 'unknown'
        Heading('Welcome back').classes('text-2xl font-bold m-0')
        ui.label('Log in to chat with your friends.').classes('muted')
        if known:
            self._known_accounts(known)
        self.username = hook(ui.input('Username'), 'login-username').props('autofocus autocomplete=username') \
            .classes('w-full')
        self.password = password_input('Password', 'login-password', autocomplete='current-password')
        self.password.on('keydown.enter', self.submit)
        self.error = hook(ui.label(), 'login-error').classes('text-negative text-sm')
        self.button = hook(ui.button('Log in', on_click=self.submit), 'login-submit').classes('w-full') \
            .props('unelevated rounded')
        with ui.row().classes('gap-1 text-sm'):
            ui.label('New here?')
            signup = '/signup' if self.target == '/' else f'/signup?next={quote(self.target, safe="")}'
            hook(ui.link('Create an account', signup), 'to-signup')

    async def submit(self) -> None:
        if not self.button.enabled:
            return
        self.button.disable()
        try:
            user = await attempt(self.chat.run(accounts.authenticate, username=self.username.value or '',
                                               password=self.password.value or '', client_key=self.client_key),
                                 quiet=True)
        finally:
            self.button.enable()
        if isinstance(user, Failed):
            self.error.set_text(user.message)
            self.password.set_value('')
            return
        remember(self.storage, user, self.zone)
        self.navigate.to(self.target)

    def _known_accounts(self, known: dict[str, str]) -> None:
        ui.label('Continue as').classes('text-sm font-medium mt-2')
        with ui.row().classes('gap-2'):
            for user_id, username in sorted(known.items(), key=lambda item: item[1]):
                hook(ui.button(f'@{username}', on_click=lambda uid=int(user_id): self._continue_as(uid)),
                     f'continue-{username}').props('outline rounded no-caps')
        ui.separator().classes('my-2')
        ui.label('or log in to another account').classes('text-sm muted')

    async def _continue_as(self, user_id: int) -> None:
        """Switch this tab to an account the browser proved before, if the browser still holds it."""
        if str(user_id) not in self.storage.get(ACCOUNTS, {}):
            ui.notify('That account was logged out in this browser. Log in again.', type='warning')
            return
        user = await attempt(self.chat.run(get_user, user_id=user_id))
        if user is None or isinstance(user, Failed):
            return
        self.storage.update({**choose(self.storage, user.id), **self.zone.keep_in(self.storage)})  # one write
        app.storage.tab[TAB_USER] = user.id
        self.navigate.to(self.target)


def password_input(label: str, testid: str, *, autocomplete: str) -> ui.input:
    """A password field with a show/hide button a keyboard can reach (NiceGUI's ``password_toggle_button`` is an
    icon that only a pointer can press); ``aria-pressed`` tells a screen reader which way it stands."""
    field = hook(ui.input(label, password=True), testid).classes('w-full').props(f'autocomplete={autocomplete}')

    def flip() -> None:
        showing = field.props.get('type') == 'password'
        field.props(f'type={"text" if showing else "password"}')
        button.props(f'icon={"visibility" if showing else "visibility_off"} aria-pressed={str(showing).lower()}')

    with field.add_slot('append'):
        button = hook(ui.button(icon='visibility_off', on_click=flip), f'{testid}-show') \
            .props('flat round dense aria-label="Show password" aria-pressed=false')
    return field
