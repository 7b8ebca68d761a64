"""Signed capabilities for files: a link that shows one attachment to one account for an hour, and an upload token
that lets one page upload into one conversation for a while. Both are signed with the app's secret (itsdangerous),
so the routes that take them (``chatapp.files.routes``) need no session: a plain HTTP request does not know the tab.

Each carries its expiry as a number the signature covers, and every function takes the time as an argument: tests
move it, and the routes pass the real clock. A link is checked again against the database when used (the account
may have left the conversation since): the signature only proves that we made it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal, cast

from itsdangerous import BadData, URLSafeSerializer

from chatapp.errors import Invalid

Variant = Literal['full', 'thumb']
VARIANTS: tuple[Variant, ...] = ('full', 'thumb')
LINK_SECONDS = 3600
"""How long a file link works."""
LINK_STEP = 300
"""Links are issued as of the start of the current five minutes: the same picture keeps the same URL that long, so
the browser's cache serves it again instead of fetching it anew for each redraw. A link so works 55-60 minutes."""
UPLOAD_SECONDS = 15 * 60
"""How long an upload token works: a page makes a new one when its token is older than a few minutes."""
PATH = '/files'
EXPIRED_CODE, BAD_LINK_CODE = 'expired', 'bad_link'


@dataclass(frozen=True)
class FileGrant:
    """What a valid file link lets its bearer fetch."""

    viewer_id: int
    attachment_id: int
    variant: Variant
    expires: int
    """Seconds since the epoch."""


@dataclass(frozen=True)
class UploadGrant:
    """What a valid upload token lets its bearer do: upload into ``conversation_id`` as ``account_id``. ``nonce``
    names the page that asked for it (``chatapp.files.waiting``)."""

    account_id: int
    conversation_id: int
    nonce: str


def new_nonce() -> str:
    """A page's name for its uploads: random, so one page cannot receive another's."""
    return secrets.token_urlsafe(16)


class FileLinks:
    """Makes and reads file links and upload tokens with ``secret``."""

    def __init__(self, secret: str) -> None:
        digest = {'digest_method': hashlib.sha256}
        self._links = URLSafeSerializer(secret, salt='chatapp.file-link', signer_kwargs=digest)
        self._uploads = URLSafeSerializer(secret, salt='chatapp.upload-token', signer_kwargs=digest)

    def file_url(self, viewer_id: int, attachment_id: int, variant: Variant = 'full', *,
                 now: float | None = None) -> str:
        """``/files/<token>``: attachment ``attachment_id`` (its ``variant``) as ``viewer_id`` may see it, for the
        next hour. A page makes one for each picture or file it shows, for the account it shows them to."""
        if variant not in VARIANTS:
            raise ValueError(f'unknown variant {variant!r}')
        issued = int(_now(now)) // LINK_STEP * LINK_STEP
        token = self._links.dumps([viewer_id, attachment_id, VARIANTS.index(variant), issued + LINK_SECONDS])
        return f'{PATH}/{token}'

    def read_file_token(self, token: str, *, now: float | None = None) -> FileGrant:
        """The grant of a link's token; ``Invalid`` (code ``bad_link`` or ``expired``) unless we signed it and it
        has not expired."""
        payload = _load(self._links, token)
        match payload:
            case [int(viewer), int(attachment), int(variant), int(expires)] if 0 <= variant < len(VARIANTS):
                if expires <= _now(now):
                    raise Invalid('This link has expired. Open the conversation again.', code=EXPIRED_CODE)
                return FileGrant(viewer, attachment, VARIANTS[variant], expires)
        raise Invalid('This link is not valid.', code=BAD_LINK_CODE)

    def upload_token(self, account_id: int, conversation_id: int, nonce: str, *, now: float | None = None) -> str:
        """A token for ``POST /files/upload?token=…`` into the conversation, valid ``UPLOAD_SECONDS``. Only make
        one for an account that may use the conversation: the upload checks again, but a token is a promise."""
        return cast(str, self._uploads.dumps([account_id, conversation_id, nonce, int(_now(now)) + UPLOAD_SECONDS]))

    def read_upload_token(self, token: str, *, now: float | None = None) -> UploadGrant:
        """The grant of an upload token; ``Invalid`` (code ``bad_link`` or ``expired``) as ``read_file_token``."""
        match _load(self._uploads, token):
            case [int(account), int(conversation), str(nonce), int(expires)]:
                if expires <= _now(now):
                    raise Invalid('This upload took too long. Try again.', code=EXPIRED_CODE)
                return UploadGrant(account, conversation, nonce)
        raise Invalid('This upload is not allowed.', code=BAD_LINK_CODE)


def _load(serializer: URLSafeSerializer, token: str) -> object:
    try:
        return serializer.loads(token)
    except (BadData, ValueError, UnicodeError):
        raise Invalid('This link is not valid.', code=BAD_LINK_CODE) from None


def _now(now: float | None) -> float:
    return time.time() if now is None else now
