"""The shell every page shares: the header (brand, the page's heading, navigation, dark mode, who this tab is and
logout) and a centred body column."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import ui
from nicegui.elements.mixins.text_element import TextElement

from pages.avatar import avatar
from pages.hooks import hook
from pages.identity import Identity
from pages.theme import dark_mode_toggle


@dataclass(frozen=True)
class Place:
    """A top-level place of the app in the header's navigation."""

    label: str
    path: str
    icon: str
    prefixes: tuple[str, ...] = ()
    """Other paths that belong to this place (a conversation belongs to the chats)."""

    def holds(self, path: str) -> bool:
        return path == self.path or (bool(self.prefixes) and path.startswith(self.prefixes))


PLACES = (
    Place('Chats', '/', 'chat', ('/chat/', '/group/')),
    Place('Friends', '/friends', 'group'),
    Place('Settings', '/settings', 'settings'),
)


@contextmanager
def frame(title: str, identity: Identity | None = None, *, body_classes: str = 'page-body',
          heading: bool = True) -> Iterator[ui.column]:
    """Page title, header and a centred body column to build into.

    The header shows ``title`` as the page's level-one heading; a page that shows its own ``<h1>`` (the login card,
    say) passes ``heading=False``. Signed-in pages get the navigation; on a phone it shrinks to icons, each keeping
    its name for screen readers."""
    ui.page_title(f'{title} · chatapp')
    with ui.header().classes('glass-header items-center no-wrap gap-1 sm:gap-2 px-2 sm:px-4 py-0'):
        with ui.link(target='/').classes('brand no-underline text-inherit flex items-center gap-2 shrink-0') \
                .props('aria-label=chatapp'):
            ui.icon('forum', size='md', color='primary')
            ui.label('chatapp').classes('text-xl font-bold tracking-tight') \
                .classes('brand-name--collapsible' if identity is not None else '')  # room for the navigation
        if heading:
            Heading(title).classes('page-heading')
        ui.space()
        if identity is not None:
            _navigation()
        dark_mode_toggle()
        if identity is not None:
            _account(identity)
    with ui.column().classes(f'{body_classes} gap-4') as body:
        yield body


def _navigation() -> None:
    request = ui.context.client.request
    here = request.url.path if request is not None else ''
    with ui.element('nav').classes('flex items-center no-wrap gap-0 sm:gap-1').props('aria-label=Main'):
        for place in PLACES:
            link = hook(ui.link(target=place.path), f'nav-{place.label.lower()}') \
                .classes('nav-link').props(f'aria-label={place.label}')
            if place.holds(here):
                link.props('aria-current=page')
            with link:
                ui.icon(place.icon, size='sm')
                ui.label(place.label).classes('nav-label')


def _account(identity: Identity) -> None:
    with ui.row().classes('items-center gap-1 sm:gap-2 no-wrap shrink-0'):
        avatar(identity.user, color='primary', size='sm').classes('account-avatar')
        with ui.column().classes('account-names gap-0'):
            ui.label(identity.user.label).classes('text-sm font-medium leading-tight ellipsis')
            hook(ui.label(f'@{identity.user.username}'), 'whoami').classes('text-xs muted leading-tight ellipsis')

        def log_out() -> None:
            identity.log_out()
            ui.navigate.to('/login')

        hook(ui.button(icon='logout', on_click=log_out), 'logout') \
            .props('flat round dense color=primary aria-label="Log out"').tooltip('Log out of this account')


class Heading(TextElement):
    """An ``<h1>`` holding ``text`` literally (a title may hold a person's name)."""

    def __init__(self, text: str) -> None:
        super().__init__(tag='h1', text=text)
