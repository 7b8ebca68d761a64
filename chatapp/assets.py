"""NiceGUI's own scripts and styles, compressed once and served from memory.

A browser that comes for the first time fetches about 1 MB of NiceGUI's assets (Vue, Quasar, Tailwind, socket.io,
NiceGUI's own script and one file per kind of element), 11 requests for the login page. NiceGUI serves them from
disk through the whole middleware stack, 64 KB at a time, and Starlette's gzip compresses each one again at level 9
on every request: measured here, 85 ms of the server's CPU for each new browser (40 ms without the compression),
more than its login's page builds, and on the event loop that every open page shares (docs/benchmarks.md,
scenario v). The files never change while a version of NiceGUI runs: their URLs carry the version and their
responses say ``immutable`` (``immutable`` below is NiceGUI's own rule for that header).

``AssetCache`` sits inside NiceGUI's outer middlewares, in place of the gzip one (``ui.run``'s
``gzip_middleware_factory``). The first ``GET`` of such a file goes through the app as before; a complete ``200``
response is kept, per path and per "gzip or not", and later requests get it in one piece, without the headers that
belonged to the first response alone: its date, and the session cookie that Starlette's session middleware renews on
every response (the file does not depend on it, and the browser holds its own from the page it loaded). Bounded: at
most ``MAX_BYTES`` in all and ``MAX_ENTRY_BYTES`` a response; what does not fit is served as before. Only NiceGUI's
versioned files are kept, never the app's own (pictures are served by signed, revocable links), nor NiceGUI's
dynamic resources. Conditional and range requests pass through, as does everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import __version__
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMMUTABLE = f'/_nicegui/{__version__}/'
DYNAMIC = f'{IMMUTABLE}dynamic_resources/'
MAX_BYTES = 32 * 2**20
MAX_ENTRY_BYTES = 4 * 2**20
_PASS_THROUGH = ('if-none-match', 'if-modified-since', 'range')
_PER_RESPONSE = {b'date', b'content-length', b'transfer-encoding', b'set-cookie'}
"""Headers of the response that was kept that belong to it alone: the session cookie is the first requester's."""


@dataclass(frozen=True)
class _Kept:
    headers: list[tuple[bytes, bytes]]
    body: bytes


def immutable(path: str) -> bool:
    """Whether NiceGUI marks the response to ``path`` ``immutable`` (its ``SetCacheControlMiddleware``, which runs
    outside this one, so the header is not there yet when the response passes here)."""
    return path.startswith(IMMUTABLE) and not path.startswith(DYNAMIC)


class AssetCache:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._kept: dict[tuple[str, bool], _Kept] = {}
        self._bytes = 0
        self.hits = 0
        """Responses served from memory (for tests and measurements)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope['method'] != 'GET' or not immutable(scope['path']):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if any(name in headers for name in _PASS_THROUGH):
            await self.app(scope, receive, send)
            return
        key = (scope['path'] + '?' + scope.get('query_string', b'').decode('latin-1'),
               'gzip' in headers.get('accept-encoding', ''))
        kept = self._kept.get(key)
        if kept is not None:
            self.hits += 1
            # A copy each time: the middlewares outside add to the list they get (the session cookie, caching).
            await send({'type': 'http.response.start', 'status': 200, 'headers': list(kept.headers)})
            await send({'type': 'http.response.body', 'body': kept.body})
            return
        await self.app(scope, receive, self._keeping(key, send))

    def _keeping(self, key: tuple[str, bool], send: Send) -> Send:
        """``send``, noting the response on its way; it is kept once complete, if it may be."""
        start: Message | None = None
        parts: list[bytes] = []
        size = 0
        keep = True

        async def keeping(message: Message) -> None:
            nonlocal start, size, keep
            if message['type'] == 'http.response.start':
                start = message
                keep = message['status'] == 200
            elif message['type'] == 'http.response.body' and keep:
                body = message.get('body', b'')
                size += len(body)
                keep = size <= MAX_ENTRY_BYTES
                parts.append(body)
                if keep and not message.get('more_body', False) and start is not None:
                    self._keep(key, list(start.get('headers', [])), b''.join(parts))
            await send(message)

        return keeping

    def _keep(self, key: tuple[str, bool], headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if key in self._kept or self._bytes + len(body) > MAX_BYTES:
            return
        headers = [(name, value) for name, value in headers if name.lower() not in _PER_RESPONSE]
        headers.append((b'content-length', str(len(body)).encode('latin-1')))  # one piece now, whatever it was
        self._kept[key] = _Kept(headers, body)
        self._bytes += len(body)


def compressed_and_cached(app: ASGIApp) -> ASGIApp:
    """The outermost middleware for ``ui.run(gzip_middleware_factory=…)``: Starlette's gzip as NiceGUI sets it up,
    with ``AssetCache`` in front of it."""
    return AssetCache(GZipMiddleware(app))
