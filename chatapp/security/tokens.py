"""Signed tokens (itsdangerous): small payloads that travel through the browser and come back unaltered."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from chatapp.errors import Invalid

Payload = dict[str, Any] | str | int
"""What a token may carry: anything JSON can hold, in practice a small dict, a string or an id."""


class TokenSigner:
    """Signs a small payload into a URL-safe token that carries its time of signing (it is signed, not encrypted:
    anyone holding the token can read the payload).

    Each purpose is its own salt, so a token made for one purpose (say, a download link) is refused for any other.
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def sign(self, purpose: str, payload: Payload) -> str:
        """A token for ``payload`` that only ``unsign`` with the same ``purpose`` accepts."""
        return cast(str, self._serializer(purpose).dumps(payload))

    def unsign(self, purpose: str, token: str, max_age_seconds: int) -> Payload:
        """The payload of ``token``; ``Invalid`` when it was not signed by us for ``purpose``, was altered, or is
        older than ``max_age_seconds``."""
        try:
            return cast(Payload, self._serializer(purpose).loads(token, max_age=max_age_seconds))
        except SignatureExpired:
            raise Invalid('This link has expired. Ask for a new one.') from None
        except BadData:
            raise Invalid('This link is not valid.') from None

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if not purpose:
            raise ValueError('a token needs a purpose')
        return URLSafeTimedSerializer(self._secret, salt=f'chatapp.{purpose}',
                                      signer_kwargs={'digest_method': hashlib.sha256})
