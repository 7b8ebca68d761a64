"""A person's avatar: their profile picture when they have one, else their initial in a coloured circle.

Pictures are served at public content-addressed URLs (``chatapp.files.avatars.url``); ``srcset`` lets a dense screen
take the next size up. Where the person's name is written beside the avatar (every list, header and card here), the
picture adds nothing for a screen reader: elements hide the whole avatar (``aria-hidden``) and HTML rows give the
image an empty ``alt``, so the name is not read twice. Where a picture stands alone, give it an ``alt`` that says
whose it is.
"""

from html import escape

from nicegui import ui

from chatapp.files import avatars
from chatapp.schemas import UserPublic

QUASAR_PX = {'xs': 18, 'sm': 24, 'md': 32, 'lg': 38, 'xl': 46}
"""Quasar's named sizes (``useSize``) in CSS pixels, as ``ui.avatar(size=…)`` takes them."""


def avatar_url(person: UserPublic, px: int = 48) -> str | None:
    """The URL of ``person``'s picture for a box of ``px`` CSS pixels (the smallest size at least that big), or
    ``None`` when they have none."""
    if person.avatar is None:
        return None
    return avatars.url(person.avatar, _size_for(px))


def avatar_attributes(picture: str | None, px: int, *, alt: str = '') -> dict[str, str]:
    """The attributes of an ``<img>`` of the avatar ``picture`` (``UserPublic.avatar``) at ``px`` CSS pixels (empty
    for ``None``): a size for dense screens too, lazily loaded, round, with ``alt`` (empty by default: see the module
    docstring)."""
    if picture is None:
        return {}
    size, dense = _size_for(px), _size_for(2 * px)
    attributes = {'src': avatars.url(picture, size), 'alt': alt, 'width': str(px), 'height': str(px),
                  'loading': 'lazy', 'decoding': 'async', 'data-testid': 'avatar-img',
                  'style': 'border-radius: 50%; object-fit: cover; display: block'}
    if dense != size:
        attributes['srcset'] = f'{attributes["src"]} 1x, {avatars.url(picture, dense)} 2x'
    return attributes


def avatar_img(picture: str | None, px: int, *, alt: str = '') -> str:
    """``avatar_attributes`` as escaped ``<img>`` HTML, for pages drawn as HTML blocks (empty: no picture)."""
    attributes = avatar_attributes(picture, px, alt=alt)
    if not attributes:
        return ''
    return '<img ' + ' '.join(f'{name}="{escape(value)}"' for name, value in attributes.items()) + '>'


def avatar(person: UserPublic, *, color: str = 'secondary', size: str = 'md') -> ui.avatar:
    """``ui.avatar`` takes its text as an icon name, so the initial goes in as a label of its own. Hidden from screen
    readers: the person's name is always written beside it, and "A, Alice" would say it twice."""
    pictured = person.avatar is not None
    with ui.avatar(color=None if pictured else color, text_color='white', size=size) \
            .props('aria-hidden=true') as element:
        if pictured:
            attributes = avatar_attributes(person.avatar, QUASAR_PX.get(size, 48),
                                           alt=f'Profile picture of {person.label}')
            del attributes['style']  # q-avatar rounds its image itself
            ui.element('img').mark('avatar-img').props.update(attributes)
        else:
            ui.label(person.label[:1].upper()).classes('font-semibold')
    return element


def _size_for(px: int) -> int:
    return next((size for size in avatars.SIZES if size >= px), avatars.LARGEST)
