"""The shell every page shares: the glass header with who this tab is, dark mode and logout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from pages.avatar import avatar
from pages.hooks import hook
from pages.identity import Identity
from pages.theme import dark_mode_toggle


@contextmanager
def frame(title: str, identity: Identity | None = None, *, body_classes: str = 'page-body') -> Iterator[ui.column]:
    """Page title, header and a centred body column to build into."""
    ui.page_title(f'{title} · chatapp')
    with ui.header().classes('glass-header items-center px-4 py-2'):
        with ui.link(target='/').classes('no-underline text-inherit flex items-center gap-2'):
            ui.icon('forum', size='md', color='primary')
            ui.label('chatapp').classes('text-xl font-bold tracking-tight')
        ui.space()
        dark_mode_toggle()
        if identity is not None:
            _account_menu(identity)
    with ui.column().classes(f'{body_classes} gap-4') as body:
        yield body


def _account_menu(identity: Identity) -> None:
    with ui.row().classes('items-center gap-2 no-wrap'):
        avatar(identity.user, color='primary', size='sm')
        with ui.column().classes('gap-0'):
            ui.label(identity.user.label).classes('text-sm font-medium leading-tight')
            hook(ui.label(f'@{identity.user.username}'), 'whoami').classes('text-xs muted leading-tight')

        def log_out() -> None:
            identity.log_out()
            ui.navigate.to('/login')

        hook(ui.button(icon='logout', on_click=log_out), 'logout') \
            .props('flat round dense color=primary aria-label="Log out"').tooltip('Log out of this account')
