"""How pages run a service call: refusals become a message in the page, bugs are logged and never shown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from nicegui import ui

from chatapp.errors import ChatError

T = TypeVar('T')
log = logging.getLogger(__name__)
GENERIC_ERROR = 'Something went wrong on our side. Please try again.'


class Failed:
    """The call was refused or failed; the person has been told. ``code`` is the refusal's ``ChatError.code``
    (``'error'`` for a bug): branch on it, never on the message."""

    def __init__(self, message: str, code: str = 'error', retry_after: int | None = None) -> None:
        self.message = message
        self.code = code
        self.retry_after = retry_after


async def attempt(call: Awaitable[T], *, quiet: bool = False) -> T | Failed:
    """Await ``call``; on a refusal show its message (unless ``quiet``), on a bug log it and show a generic one."""
    try:
        return await call
    except ChatError as error:
        failed = Failed(str(error), error.code, getattr(error, 'retry_after', None))
    except Exception:
        log.exception('service call failed')
        failed = Failed(GENERIC_ERROR)
    if not quiet:
        ui.notify(failed.message, type='negative', position='top')
    return failed
