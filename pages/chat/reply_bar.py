"""The line above the message box while a reply is being written: "Replying to Alice: …" and a button to cancel.

Made the first time a person replies (most pages never do), then shown and hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from pages.hooks import hook


class ReplyBar:
    """Shown above ``before`` (the composer's row) in ``container``."""

    def __init__(self, container: ui.element, before: ui.element, on_cancel: Callable[[], None]) -> None:
        with container, hook(ui.row(), 'reply-bar').classes('reply-bar w-full items-center no-wrap gap-2') as row:
            ui.icon('reply').classes('text-lg')
            self.label = hook(ui.label(''), 'reply-to').classes('reply-to grow')
            hook(ui.button(icon='close', on_click=on_cancel), 'reply-cancel') \
                .props('flat dense round size=sm aria-label="Cancel the reply"')
        row.move(container, target_index=container.default_slot.children.index(before))
        self.row = row

    def show(self, name: str, excerpt: str) -> None:
        self.label.set_text(f'Replying to {name}: {excerpt}')
        self.row.set_visibility(True)

    def hide(self) -> None:
        self.row.set_visibility(False)
