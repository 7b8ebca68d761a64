"""NiceGUI pages and components. They call services through ``chat.run`` and render; nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatapp.app import ChatApp


def register_all(app: ChatApp) -> None:
    """Register every page of the app for ``app``."""
    from pages import dormancy, errors, friends, inbox, login, search, settings, signup, theme

    theme.install()
    errors.install()
    for module in (login, signup, inbox, friends, settings, search, dormancy):
        module.register(app)
