"""The two HTTP routes of avatars: ``POST /files/avatar?token=…`` sets the uploader's profile picture, ``GET
/avatars/<sha256>-<size>.webp`` serves one.

Upload: the body is the picture's bytes as they are (``q-uploader`` with ``send-raw``); the token
(``AvatarTokens.upload_token``) names the account and the page to tell. A deleted account (404) and an account or
address past the ``avatars`` rate limit (429 with ``Retry-After``; ``profiles.avatar_allowance``) are refused before
a byte is read; the body is read as it arrives and cut off with 413 past ``avatars.MAX_UPLOAD_BYTES``; only a picture
(found from its bytes) is taken; it is made into the avatar sizes on the picture threads, stored, and set through
``profiles.set_avatar``; the picture it replaces goes when nobody else shows it (``Avatars.discard``). The answer is
``{"avatar": <sha256>}``.

Download: public and unsigned (docs/security.md, "Avatars"): the name is the hash of the picture, which nobody can
guess without having it. The bytes behind a name never change, so browsers may keep them a year (``immutable``); they
are served with ``nosniff`` and a Content-Security-Policy that allows nothing.
"""

from __future__ import annotations

import asyncio

from nicegui import app
from starlette.middleware.sessions import Session
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from chatapp.errors import Invalid, NotFound, Throttled
from chatapp.files import avatars, images
from chatapp.files.avatar_parts import Avatars
from chatapp.files.routes import PICTURE_REFUSALS, declared_length
from chatapp.files.sniff import sniff
from chatapp.files.spool import TooLarge, spool
from chatapp.security.limits import from_address
from chatapp.services import profiles
from chatapp.services.tx import ServiceRunner

UPLOAD_PATH = '/files/avatar'
DOWNLOAD_PATH = avatars.PATH + '/{name}'
SERVE_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
    'Cache-Control': 'public, max-age=31536000, immutable',
}
TOO_LARGE = f'This picture is too large: at most {avatars.MAX_UPLOAD_BYTES >> 20} MB.'
NOT_A_PICTURE = 'A profile picture must be a JPEG, PNG, GIF or WebP picture.'


class AvatarRoutes:
    def __init__(self, parts: Avatars, run: ServiceRunner) -> None:
        self.parts = parts
        self.run = run

    async def upload(self, request: Request) -> Response:
        _no_session(request)
        try:
            grant = self.parts.tokens.read(request.query_params.get('token', ''))
        except Invalid as refusal:
            return _text(403, str(refusal))
        declared = declared_length(request)
        if declared is not None and declared > avatars.MAX_UPLOAD_BYTES:
            return _text(413, TOO_LARGE)
        try:  # before a byte is read or decoded
            with from_address(request.client.host if request.client else None):  # the limit counts per address too
                await self.run(profiles.avatar_allowance, actor_id=grant.account_id)
        except Throttled as refusal:
            return PlainTextResponse(str(refusal), status_code=429, headers={
                'Cache-Control': 'no-store', 'Retry-After': str(refusal.retry_after)})
        except NotFound:
            return _text(404, profiles.NOT_FOUND)
        try:
            spooled = await spool(request.stream(), self.parts.files.spool_dir, avatars.MAX_UPLOAD_BYTES)
        except TooLarge:
            return _text(413, TOO_LARGE)
        except ClientDisconnect:
            return _text(400, 'The upload was interrupted.')
        try:
            image_format = sniff(spooled.head).format
            if image_format is None:
                return _text(415, NOT_A_PICTURE)
            avatar = await self.parts.make(spooled.path, image_format)
        except images.Refused as refusal:
            return _text(*PICTURE_REFUSALS[refusal.code])
        finally:
            await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        await self.parts.save(avatar)
        try:
            previous = await self.run(profiles.set_avatar, actor_id=grant.account_id, avatar=avatar.sha256)
        except NotFound as refusal:  # deleted while it uploaded: the sweep takes its files
            return _text(404, str(refusal))
        await self.parts.discard(previous, self.run)
        self.parts.waiting.deliver(grant.nonce, avatar.sha256)
        return JSONResponse({'avatar': avatar.sha256}, headers={'Cache-Control': 'no-store'})

    async def download(self, request: Request) -> Response:
        _no_session(request)
        named = avatars.parse_name(request.path_params['name'])
        blob = await self.parts.open(*named) if named is not None else None
        if blob is None:
            return _text(404, 'There is no such picture.')
        return StreamingResponse(blob.chunks, media_type=avatars.MIME,
                                 headers={**SERVE_HEADERS, 'Content-Length': str(blob.size)})


def register(parts: Avatars, run: ServiceRunner) -> AvatarRoutes:
    """Add the routes (again, after NiceGUI's test reset removed them)."""
    routes = AvatarRoutes(parts, run)
    for path in (UPLOAD_PATH, DOWNLOAD_PATH):
        app.remove_route(path)
    app.add_api_route(UPLOAD_PATH, routes.upload, methods=['POST'], include_in_schema=False)
    app.add_api_route(DOWNLOAD_PATH, routes.download, methods=['GET'], include_in_schema=False)
    return routes


def _text(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers={'Cache-Control': 'no-store'})


def _no_session(request: Request) -> None:
    """An untouched session sets no cookie (as in ``chatapp.files.routes``): an avatar needs none, and a cached
    public picture must never carry one."""
    if 'session' in request.scope:
        request.scope['session'] = Session()
