"""The two HTTP routes of files: ``POST /files/upload?token=…`` takes an upload, ``GET /files/<token>`` serves one.

Upload: the body is the file's bytes as they are (Quasar's ``q-uploader`` with ``send-raw``), the name comes URL-
encoded in ``X-File-Name``. The token (``FileLinks.upload_token``) says who uploads into which conversation. Before
reading a byte the route asks the service whether that account may, and how much of its quota is left; then it reads
the body as it arrives, cutting it off with 413 the moment it passes the upload limit or the quota (the temporary
file goes with it), finds the type from the content, re-encodes a picture on the picture threads, stores the blobs
and records the row. The page that made the token hears of it through ``Files.waiting``; the answer is the
``AttachmentInfo`` as JSON.

Download: the token (``FileLinks.file_url``) names viewer, attachment and variant; the service checks that the viewer
may still see it. Pictures are served inline with their true type, everything else as a download; both with
``nosniff`` and a Content-Security-Policy that allows nothing, so a file that is really HTML runs no script even
when opened directly.

Every refusal is a status with a short text; nothing here blocks the event loop (files are read and written on
worker threads, pictures decoded on their own).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

from nicegui import app
from starlette.middleware.sessions import Session
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from chatapp.errors import Invalid, NotFound, Throttled
from chatapp.files import images
from chatapp.files.links import PATH
from chatapp.files.names import clean_filename
from chatapp.files.parts import MIB, Files
from chatapp.files.sniff import sniff
from chatapp.files.spool import Spooled, TooLarge, spool
from chatapp.files.store import blob_name
from chatapp.schemas import AttachmentInfo
from chatapp.security.limits import from_address
from chatapp.services import attachments
from chatapp.services.tx import ServiceRunner

log = logging.getLogger(__name__)

UPLOAD_PATH = f'{PATH}/upload'
DOWNLOAD_PATH = PATH + '/{token}'
NAME_HEADER = 'X-File-Name'
NAME_HEADER_MAX = 2048
"""Characters of the (URL-encoded) name header read; the cleaned name is shorter still."""
DOWNLOAD_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
}
PICTURE_REFUSALS = {
    'too_many_pixels': (413, f'This picture is too large: at most {images.MAX_PIXELS // 1_000_000} megapixels.'),
    'unreadable': (422, 'This picture could not be read. Is the file damaged?'),
}


@dataclass(frozen=True)
class Prepared:
    """A stored upload, as its row will describe it."""

    sha256: str
    kind: str
    mime: str
    filename: str
    size: int
    width: int | None = None
    height: int | None = None


class FileRoutes:
    """The handlers, with the parts they use."""

    def __init__(self, files: Files, run: ServiceRunner) -> None:
        self.files = files
        self.run = run

    async def upload(self, request: Request) -> Response:
        _no_session(request)
        try:
            grant = self.files.links.read_upload_token(request.query_params.get('token', ''))
        except Invalid as refusal:
            return _text(403, str(refusal))
        declared = declared_length(request)
        if declared is not None and declared > self.files.max_upload_bytes:
            return _text(413, self._too_large())
        try:
            with from_address(request.client.host if request.client else None):  # the limits count per address too
                left = await self.run(attachments.upload_allowance, actor_id=grant.account_id,
                                      conversation_id=grant.conversation_id)
        except Throttled as refusal:
            return PlainTextResponse(str(refusal), status_code=429, headers={
                'Cache-Control': 'no-store', 'Retry-After': str(refusal.retry_after)})
        except NotFound as refusal:
            return _text(404, str(refusal))
        except Invalid as refusal:
            return _text(413, str(refusal))
        limit = min(self.files.max_upload_bytes, left)
        too_large = self._too_large() if limit == self.files.max_upload_bytes else _over_quota()
        if declared is not None and declared > limit:
            return _text(413, too_large)
        try:
            spooled = await spool(request.stream(), self.files.spool_dir, limit)
        except TooLarge:
            return _text(413, too_large)
        except ClientDisconnect:
            return _text(400, 'The upload was interrupted.')
        try:
            if spooled.size == 0:
                return _text(400, 'This file is empty.')
            name = _sent_name(request)
            stored = await self._store(spooled, name, limit)
            if isinstance(stored, Response):
                return stored
            info = await self.run(attachments.record_upload, actor_id=grant.account_id,
                                  conversation_id=grant.conversation_id, sha256=stored.sha256, kind=stored.kind,
                                  mime=stored.mime, filename=stored.filename, size=stored.size,
                                  width=stored.width, height=stored.height)
        except NotFound as refusal:
            return _text(404, str(refusal))
        except Invalid as refusal:
            return _text(413 if refusal.code == attachments.QUOTA_CODE else 400, str(refusal))
        finally:
            await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        self.files.waiting.deliver(grant.nonce, info)
        return JSONResponse(info.model_dump(), headers={'Cache-Control': 'no-store'})

    async def _store(self, spooled: Spooled, name: str, limit: int) -> Prepared | Response:
        """Store the upload's blobs; what its row says, or the refusal."""
        sniffed = sniff(spooled.head)
        if sniffed.format is None:
            await self.files.store.write_file(blob_name(spooled.sha256), spooled.path)
            return Prepared(spooled.sha256, 'file', sniffed.mime, clean_filename(name), spooled.size)
        try:
            picture = await self.files.process_picture(spooled.path, sniffed.format)
        except images.Refused as refusal:
            return _text(*PICTURE_REFUSALS[refusal.code])
        if len(picture.data) > limit:  # drawn anew, a picture can grow (rarely): the limits hold for what is kept
            return _text(413, self._too_large() if limit == self.files.max_upload_bytes else _over_quota())
        await self.files.store.write(blob_name(picture.sha256, 'thumb'), _once(picture.thumbnail))
        await self.files.store.write(blob_name(picture.sha256), _once(picture.data))
        return Prepared(picture.sha256, 'image', picture.mime, clean_filename(name, image_format=sniffed.format),
                        len(picture.data), picture.width, picture.height)

    async def download(self, request: Request) -> Response:
        _no_session(request)
        try:
            grant = self.files.links.read_file_token(request.path_params['token'])
        except Invalid as refusal:
            return _text(403, str(refusal))
        try:
            stored = await self.run(attachments.attachment_for_viewer, actor_id=grant.viewer_id,
                                    attachment_id=grant.attachment_id)
        except NotFound as refusal:
            return _text(404, str(refusal))
        info = stored.info
        if grant.variant == 'thumb' and info.kind != 'image':
            return _text(404, attachments.NOT_FOUND)
        blob = await self.files.store.open(blob_name(stored.sha256, grant.variant))
        if blob is None:
            log.warning('attachment %d has no %s blob in the store', info.id, grant.variant)
            return _text(404, attachments.NOT_FOUND)
        seconds = max(0, grant.expires - int(time.time()))
        headers = {**DOWNLOAD_HEADERS, 'Content-Length': str(blob.size),
                   'Content-Disposition': _disposition(info),
                   'Cache-Control': f'private, max-age={seconds}'}
        return StreamingResponse(blob.chunks, media_type=_media_type(info, grant.variant), headers=headers)

    def _too_large(self) -> str:
        return f'This file is too large: at most {self.files.max_upload_bytes // MIB} MB.'


def register(files: Files, run: ServiceRunner) -> FileRoutes:
    """Add the routes (again, after NiceGUI's test reset removed them)."""
    routes = FileRoutes(files, run)
    for path in (UPLOAD_PATH, DOWNLOAD_PATH):
        app.remove_route(path)
    app.add_api_route(UPLOAD_PATH, routes.upload, methods=['POST'], include_in_schema=False)
    app.add_api_route(DOWNLOAD_PATH, routes.download, methods=['GET'], include_in_schema=False)
    return routes


def _media_type(info: AttachmentInfo, variant: str) -> str:
    if info.kind != 'image':
        return info.mime  # application/octet-stream, or application/pdf: never a type a browser renders as a page
    return images.THUMB_MIME if variant == 'thumb' else info.mime


def _disposition(info: AttachmentInfo) -> str:
    """Pictures inline, everything else as a download, under the cleaned name (RFC 6266: an ASCII fallback, then
    the UTF-8 name)."""
    fallback = ''.join(char if 32 <= ord(char) < 127 and char not in '"\\%' else '_' for char in info.filename)
    kind = 'inline' if info.kind == 'image' else 'attachment'
    return f'{kind}; filename="{fallback}"; filename*=UTF-8\'\'{quote(info.filename, safe="")}'


def _sent_name(request: Request) -> str:
    return unquote(request.headers.get(NAME_HEADER, '')[:NAME_HEADER_MAX], errors='replace')


def declared_length(request: Request) -> int | None:
    try:
        return int(request.headers['content-length'])
    except (KeyError, ValueError):
        return None


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _over_quota() -> str:
    return 'This does not fit in the space left for your files and pictures.'


def _text(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers={'Cache-Control': 'no-store'})


def _no_session(request: Request) -> None:
    """NiceGUI's middleware gave a request without a session cookie a new session; an untouched one sets no cookie
    (as ``chatapp.health`` does): a file route has no use for one."""
    if 'session' in request.scope:
        request.scope['session'] = Session()
