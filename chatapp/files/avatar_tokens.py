"""Avatar upload tokens: a signed capability that lets one page set its account's profile picture for a while.

Signed with the app's secret under a salt of their own, so an attachment upload token (``chatapp.files.links``) is no
avatar token and the other way round. The token carries the page's nonce, so the route can tell that page
(``AvatarWaiting``) when the picture is stored, and its expiry, which the signature covers.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from itsdangerous import BadData, URLSafeSerializer

from chatapp.errors import Invalid
from chatapp.files.links import BAD_LINK_CODE, EXPIRED_CODE, UPLOAD_SECONDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AvatarGrant:
    """What a valid token lets its bearer do: set ``account_id``'s avatar, telling the page named ``nonce``."""

    account_id: int
    nonce: str


class AvatarTokens:
    def __init__(self, secret: str) -> None:
        self._signer = URLSafeSerializer(secret, salt='chatapp.avatar-upload',
                                         signer_kwargs={'digest_method': hashlib.sha256})

    def upload_token(self, account_id: int, nonce: str, *, now: float | None = None) -> str:
        """A token for ``POST /files/avatar?token=…``, valid ``UPLOAD_SECONDS``: only for the signed-in account of
        the page that asks (the service checks the account again)."""
        expires = int(time.time() if now is None else now) + UPLOAD_SECONDS
        return cast(str, self._signer.dumps([account_id, nonce, expires]))

    def read(self, token: str, *, now: float | None = None) -> AvatarGrant:
        """The grant of ``token``; ``Invalid`` (code ``bad_link`` or ``expired``) unless we signed it in time."""
        try:
            payload = self._signer.loads(token)
        except (BadData, ValueError, UnicodeError):
            raise Invalid('This upload is not allowed.', code=BAD_LINK_CODE) from None
        match payload:
            case [int(account), str(nonce), int(expires)]:
                if expires <= (time.time() if now is None else now):
                    raise Invalid('This upload took too long. Try again.', code=EXPIRED_CODE)
                return AvatarGrant(account, nonce)
        raise Invalid('This upload is not allowed.', code=BAD_LINK_CODE)


Stored = Callable[[str], None]
"""Called with the new avatar's hash."""


class AvatarWaiting:
    """The pages of this process waiting for an avatar upload, by nonce (as ``chatapp.files.waiting`` does for
    attachments: the upload is a plain HTTP request outside the page's socket). Used on the event loop only."""

    def __init__(self) -> None:
        self._pages: dict[str, Stored] = {}

    def register(self, nonce: str, stored: Stored) -> Callable[[], None]:
        """Call ``stored`` with each avatar set with a token of ``nonce``; returns the function that unregisters."""
        self._pages[nonce] = stored

        def unregister() -> None:
            if self._pages.get(nonce) is stored:
                del self._pages[nonce]
        return unregister

    def deliver(self, nonce: str, sha256: str) -> bool:
        """Tell the page of ``nonce``; whether one was waiting. A page's failure is logged: the avatar is set."""
        stored = self._pages.get(nonce)
        if stored is None:
            return False
        try:
            stored(sha256)
        except Exception:
            log.exception('the page waiting for an avatar failed')
        return True

    def __len__(self) -> int:
        return len(self._pages)
