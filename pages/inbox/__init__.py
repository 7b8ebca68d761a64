"""The inbox: ``routes`` (``/``, ``/chat/<username>``, ``/group/<id>``), ``view`` (the list pane), ``listing`` (its
pure state), ``rows`` (rows as escaped HTML), ``dialogs`` (new chat, new group) and ``notifier`` (the title count and
toasts, on every signed-in page)."""

from pathlib import Path

from nicegui import ui

from chatapp.app import ChatApp

CSS = Path(__file__).with_name('inbox.css')


def register(chat: ChatApp) -> None:
    """The inbox's routes and its stylesheet (shared by every page: the toasts show on all of them)."""
    from pages.inbox import routes

    ui.add_css(CSS.read_text(encoding='utf-8'), shared=True)
    routes.register(chat)


__all__ = ['register']
