"""The look: colours, the glass CSS and dark mode, installed once for every page."""

from pathlib import Path

from nicegui import app, ui

CSS = Path(__file__).with_name('theme.css')
DARK = 'dark_mode'


def install() -> None:
    """Add the shared CSS and colours to all pages."""
    ui.add_css(CSS.read_text(encoding='utf-8'), shared=True)
    app.colors(primary='#6366f1', secondary='#ec4899', accent='#14b8a6', positive='#16a34a', negative='#dc2626')


def dark_mode_toggle() -> None:
    """A button that flips light/dark and remembers the choice for this browser."""
    storage = app.storage.user  # bound to this request; the click arrives later over the socket
    mode = ui.dark_mode(storage.get(DARK, False))

    def flip() -> None:
        mode.value = not mode.value
        storage[DARK] = mode.value
        button.props(f'icon={"light_mode" if mode.value else "dark_mode"}')

    button = ui.button(icon='light_mode' if mode.value else 'dark_mode', on_click=flip) \
        .props('flat round dense color=primary aria-label="Toggle dark mode"')
