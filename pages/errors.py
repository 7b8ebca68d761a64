"""What a person sees when something goes wrong: a friendly page, never a stack trace."""

from __future__ import annotations

import logging

from nicegui import app, ui

log = logging.getLogger(__name__)


def install() -> None:
    """Replace NiceGUI's error page (which shows the exception) with ours."""
    app.on_page_exception(_error_page)


def _error_page(error: Exception) -> None:
    log.error('page failed: %r', error, exc_info=error)
    ui.page_title('Something went wrong · chatapp')
    with ui.column().classes('page-body items-center mt-16'), ui.card().classes('glass p-8 items-center gap-3'):
        ui.icon('cloud_off', size='xl', color='primary')
        ui.label('Something went wrong on our side.').classes('text-lg font-bold')
        ui.label('Please try again in a moment.').classes('muted')
        ui.button('Back to chatapp', on_click=lambda: ui.navigate.to('/')).props('unelevated rounded no-caps')
