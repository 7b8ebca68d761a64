"""A person's initial in a coloured circle."""

from nicegui import ui

from chatapp.schemas import UserPublic


def avatar(person: UserPublic, *, color: str = 'secondary', size: str = 'md') -> ui.avatar:
    """``ui.avatar`` takes its text as an icon name, so the initial goes in as a label of its own. Hidden from screen
    readers: the person's name is always written beside it, and "A, Alice" would say it twice."""
    with ui.avatar(color=color, text_color='white', size=size).props('aria-hidden=true') as element:
        ui.label(person.label[:1].upper()).classes('font-semibold')
    return element
