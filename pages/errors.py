"""What a person sees when something goes wrong: a friendly page, never a stack trace.

A page fails in one of two moments. Before its HTML went out (before ``await client.connected()``), NiceGUI serves
the page that ``install`` registers. After that, the browser already shows the page, and NiceGUI's error response
would be ignored: ``shows_errors`` then replaces what was built with the same card, over the open socket.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from nicegui import app, ui

from pages.frame import Heading

log = logging.getLogger(__name__)
P = ParamSpec('P')
R = TypeVar('R')


def install() -> None:
    """Replace NiceGUI's error page (which shows the exception) with ours."""
    app.on_page_exception(_error_page)


def shows_errors(page: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
    """Wrap an async page function (under ``@ui.page``) so that a failure after its socket connected shows the
    error card in place of the half-built page. NiceGUI reads the page's parameters through ``__wrapped__``."""

    @functools.wraps(page)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return await page(*args, **kwargs)
        except Exception as error:
            client = ui.context.client
            if not client.has_socket_connection:
                raise  # the HTML has not gone out: NiceGUI serves the error page ``install`` registered
            log.error('page failed: %r', error, exc_info=error)
            client.content.clear()
            with client.content:
                _card()
            return None

    return guarded


def _error_page(error: Exception) -> None:
    log.error('page failed: %r', error, exc_info=error)
    _card()


def _card() -> None:
    ui.page_title('Something went wrong · chatapp')
    with ui.column().classes('page-body items-center mt-16'), ui.card().classes('glass p-8 items-center gap-3'):
        ui.icon('cloud_off', size='xl', color='primary')
        Heading('Something went wrong on our side.').classes('text-lg font-bold m-0')
        ui.label('Please try again in a moment.').classes('muted')
        ui.button('Back to chatapp', on_click=lambda: ui.navigate.to('/')).props('unelevated rounded no-caps')
