"""``chatapp.assets.AssetCache``: NiceGUI's versioned files are kept after their first response and served from
memory, exactly as the app served them, and nothing else is kept."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from chatapp import assets
from chatapp.assets import DYNAMIC, IMMUTABLE, AssetCache

SCRIPT = f'{IMMUTABLE}static/quasar.umd.prod.js'


class Files:
    """The app behind the cache: answers every request with ``status`` and a body in ``parts``, and counts calls."""

    def __init__(self, status: int = 200, parts: tuple[bytes, ...] = (b'con', b'sole', b'.log()')) -> None:
        self.status = status
        self.parts = parts
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        encoding = [(b'content-encoding', b'gzip')] if b'gzip' in dict(scope['headers']).get(b'accept-encoding', b'') \
            else []
        await send({'type': 'http.response.start', 'status': self.status,
                    'headers': [(b'content-type', b'text/javascript'), (b'date', b'Tue, 01 Dec 2026 10:00:00 GMT'),
                                (b'set-cookie', f'session=browser{self.calls}'.encode()), *encoding]})
        for index, part in enumerate(self.parts):
            await send({'type': 'http.response.body', 'body': part, 'more_body': index < len(self.parts) - 1})


def fetch(cache: AssetCache, path: str = SCRIPT, *, method: str = 'GET', gzip: bool = True,
          headers: tuple[tuple[bytes, bytes], ...] = ()) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through ``cache``: the status, the headers and the whole body the client got."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message: Message) -> None:
        messages.append(message)

    accept = ((b'accept-encoding', b'gzip, deflate'),) if gzip else ()
    scope: dict[str, Any] = {'type': 'http', 'method': method, 'path': path, 'query_string': b'',
                             'headers': [*accept, *headers]}
    asyncio.run(cache(scope, receive, send))
    start, *bodies = messages
    return start['status'], dict(start['headers']), b''.join(body.get('body', b'') for body in bodies)


def test_a_versioned_file_is_served_from_memory_after_its_first_response() -> None:
    files = Files()
    cache = AssetCache(files)
    first = fetch(cache)
    again = fetch(cache)
    assert files.calls == 1 and cache.hits == 1
    assert first[2] == again[2] == b'console.log()'
    assert first[1][b'set-cookie'] == b'session=browser1'  # the first browser gets its response as it was
    assert b'set-cookie' not in again[1] and b'date' not in again[1]  # neither is another browser's
    assert again[1][b'content-length'] == b'13' and again[1][b'content-type'] == b'text/javascript'


def test_what_outer_middlewares_add_to_one_response_is_not_kept() -> None:
    cache = AssetCache(Files())
    fetch(cache)
    messages: list[Message] = []

    async def outer_send(message: Message) -> None:  # as the session middleware outside adds its cookie
        if message['type'] == 'http.response.start':
            message['headers'].append((b'set-cookie', b'session=someone'))
        messages.append(message)

    async def receive() -> Message:
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    scope: dict[str, Any] = {'type': 'http', 'method': 'GET', 'path': SCRIPT, 'query_string': b'',
                             'headers': [(b'accept-encoding', b'gzip')]}
    asyncio.run(cache(scope, receive, outer_send))
    assert b'set-cookie' not in fetch(cache)[1]


def test_compressed_and_plain_are_kept_apart() -> None:
    files = Files()
    cache = AssetCache(files)
    fetch(cache, gzip=True)
    plain = fetch(cache, gzip=False)
    assert files.calls == 2 and b'content-encoding' not in plain[1]
    assert fetch(cache, gzip=True)[1][b'content-encoding'] == b'gzip'
    assert fetch(cache, gzip=False)[1].get(b'content-encoding') is None
    assert files.calls == 2


@pytest.mark.parametrize(('path', 'method', 'headers', 'status'), [
    ('/files/abc', 'GET', (), 200),  # the app's own files: signed, revocable
    ('/_nicegui/0.0.1/static/old.js', 'GET', (), 200),  # another version's path
    (f'{DYNAMIC}x.js', 'GET', (), 200),  # NiceGUI's dynamic resources
    (SCRIPT, 'HEAD', (), 200),
    (SCRIPT, 'GET', ((b'if-none-match', b'"abc"'),), 200),
    (SCRIPT, 'GET', ((b'range', b'bytes=0-3'),), 200),
    (SCRIPT, 'GET', (), 404),
])
def test_nothing_else_is_kept(path: str, method: str, headers: tuple[tuple[bytes, bytes], ...], status: int) -> None:
    files = Files(status)
    cache = AssetCache(files)
    for _ in range(2):
        assert fetch(cache, path, method=method, headers=headers)[0] == status
    assert files.calls == 2 and cache.hits == 0


def test_a_response_larger_than_an_entry_may_be_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, 'MAX_ENTRY_BYTES', 8)
    files = Files()
    cache = AssetCache(files)
    assert fetch(cache)[2] == fetch(cache)[2] == b'console.log()'  # served whole, both times
    assert files.calls == 2


def test_the_cache_stops_growing_at_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, 'MAX_BYTES', 20)
    files = Files()
    cache = AssetCache(files)
    for name in ('a', 'b', 'a', 'b'):
        fetch(cache, f'{IMMUTABLE}static/{name}.js')
    assert files.calls == 3 and cache.hits == 1  # a (13 bytes) was kept, b (13 more) was not
