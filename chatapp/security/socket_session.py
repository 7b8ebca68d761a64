"""Which browser a socket comes from, and which browser a page was rendered for.

Both are NiceGUI's browser id (``id`` in Starlette's signed ``session`` cookie): the socket's is read from the cookie
its connection carried, the page's from the session of the request that rendered it. The cookie is signed, not
encrypted; what makes it proof is the signature, checked here exactly as ``SessionMiddleware`` checks it.
"""

from __future__ import annotations

import binascii
import inspect
import json
from base64 import b64decode
from typing import Any

import itsdangerous
from nicegui import Client
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import cookie_parser

_DEFAULTS = inspect.signature(SessionMiddleware).parameters
SESSION_COOKIE: str = _DEFAULTS['session_cookie'].default
SESSION_MAX_AGE: int | None = _DEFAULTS['max_age'].default
"""Starlette's defaults, which ``ui.run`` keeps: a cookie older than that is no session for Starlette either."""


class SessionReader:
    """Reads the browser id out of a socket's session cookie with the app's storage secret."""

    def __init__(self, secret: str) -> None:
        self._signer = itsdangerous.TimestampSigner(secret)

    @staticmethod
    def cookie(environ: dict[str, Any]) -> str | None:
        """The session cookie a socket's connection carried, if any."""
        return cookie_parser(environ.get('HTTP_COOKIE', '')).get(SESSION_COOKIE) or None

    def browser(self, cookie: str) -> str | None:
        """The browser id in ``cookie``; ``None`` when we did not sign it or it expired."""
        try:
            session = json.loads(b64decode(self._signer.unsign(cookie.encode(), max_age=SESSION_MAX_AGE)))
        except (itsdangerous.BadSignature, ValueError, binascii.Error):
            return None
        browser = session.get('id') if isinstance(session, dict) else None
        return browser if isinstance(browser, str) else None


def page_browser(client: Client) -> str | None:
    """The browser id of the request that rendered ``client``'s page (``None``: rendered without a session)."""
    try:
        browser = client.request.session.get('id')
    except (RuntimeError, AssertionError):  # no request, or no session middleware
        return None
    return browser if isinstance(browser, str) else None
