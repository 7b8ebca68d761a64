"""The shell every page shares: the header (brand, the page's heading, navigation, dark mode, who this tab is and
logout) and a centred body column."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape

from nicegui import ui
from nicegui.elements.html import Html
from nicegui.elements.mixins.text_element import TextElement

from chatapp.schemas import UserPublic
from pages.avatar import avatar_img
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
    its name for screen readers.

    Whatever in the header only shows and links (the brand, the navigation, who this tab is) is escaped HTML in a
    few ``Html`` elements, drawn as Quasar draws its own: every NiceGUI element costs each open page about 4 KB, and
    the header was 27 of them. Only what acts (dark mode, logging out) is a real element."""
    ui.page_title(f'{title} · chatapp')
    with ui.header().classes('glass-header items-center no-wrap gap-1 sm:gap-2 px-2 sm:px-4 py-0'):
        collapsible = ' brand-name--collapsible' if identity is not None else ''  # room for the navigation
        # The heading shares the brand's element (a page's title may hold a person's name: escaped).
        h1 = f'<h1 class="page-heading">{escape(title)}</h1>' if heading else ''
        Html('<a href="/" class="nicegui-link brand no-underline text-inherit flex items-center gap-2 shrink-0" '
             f'aria-label="chatapp">{_icon("forum", 32, "text-primary")}'
             f'<div class="text-xl font-bold tracking-tight{collapsible}">chatapp</div></a>{h1}').classes('contents')
        if identity is not None:
            _navigation()
        dark_mode_toggle(push_right=identity is None)
        if identity is not None:
            _account(identity)
    with ui.column().classes(f'{body_classes} gap-4') as body:
        yield body


def _navigation() -> None:
    request = ui.context.client.request
    here = request.url.path if request is not None else ''
    current = ' aria-current="page"'
    links = ''.join(
        f'<a href="{place.path}" class="nicegui-link nav-link" data-testid="nav-{place.label.lower()}" '
        f'aria-label="{place.label}"{current if place.holds(here) else ""}>'
        f'{_icon(place.icon, 24)}<div class="nav-label">{place.label}</div></a>'
        for place in PLACES)
    Html(links, tag='nav').classes('flex items-center no-wrap gap-0 sm:gap-1 ml-auto').props('aria-label=Main')


def _account(identity: Identity) -> None:
    shown = Html(_account_html(identity.user)).classes('flex items-center gap-1 sm:gap-2 no-wrap shrink-0') \
        .mark('whoami')

    def redraw() -> None:  # a new name or picture
        shown.set_content(_account_html(identity.user))

    identity.redraws.append(redraw)

    def log_out() -> None:
        identity.log_out()
        ui.navigate.to('/login')

    hook(ui.button(icon='logout', on_click=log_out), 'logout') \
        .props('flat round dense color=primary aria-label="Log out" title="Log out of this account"')


def _account_html(user: UserPublic) -> str:
    """Who this tab is: picture or initial, name and username. The picture or initial is hidden from screen readers:
    the name is written beside it. The log-out button follows in the header itself, whose gap is the one this row
    had."""
    face = avatar_img(user.avatar, 24) or f'<div class="font-semibold">{escape(user.label[:1].upper())}</div>'
    return (f'<div class="q-avatar{"" if user.avatar else " bg-primary"} account-avatar" aria-hidden="true" '
            f'style="font-size: 24px; color: white;"><div class="q-avatar__content row flex-center overflow-hidden">'
            f'{face}</div></div>'
            f'<div class="nicegui-column account-names gap-0">'
            f'<div class="text-sm font-medium leading-tight ellipsis" data-testid="whoami-name">'
            f'{escape(user.label)}</div>'
            f'<div class="text-xs muted leading-tight ellipsis" data-testid="whoami">@{escape(user.username)}</div>'
            f'</div>')


def _icon(name: str, size: int, classes: str = '') -> str:
    """A Material icon as Quasar's ``q-icon`` draws it (``name`` and ``classes`` are fixed text of this module)."""
    return (f'<i class="q-icon {classes} notranslate material-icons" aria-hidden="true" '
            f'style="font-size: {size}px;">{name}</i>')


class Heading(TextElement):
    """An ``<h1>`` holding ``text`` literally (a title may hold a person's name)."""

    def __init__(self, text: str) -> None:
        super().__init__(tag='h1', text=text)
