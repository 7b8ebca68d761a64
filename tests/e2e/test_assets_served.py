"""NiceGUI's files from the real process (``chatapp.assets``): the second browser to ask gets the same bytes and the
same caching headers as the first, compressed or not, and its own session cookie, never the first browser's."""

from __future__ import annotations

import gzip
import http.cookies
import urllib.request
from pathlib import Path

import nicegui
import pytest

from chatapp.assets import IMMUTABLE
from tests.e2e.harness import AppProcess, app_env, running_apps

FILE = 'static/quasar.umd.prod.js'


def get(url: str, *, compressed: bool, cookie: str = '') -> tuple[dict[str, str], bytes]:
    headers = {'Accept-Encoding': 'gzip'} if compressed else {}
    if cookie:
        headers['Cookie'] = cookie
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (our own http URL)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert len(response.headers.get_all('set-cookie') or []) <= 1  # at most the browser's own
        return {name.lower(): value for name, value in response.headers.items()}, response.read()


def session(headers: dict[str, str]) -> str:
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie(headers.get('set-cookie', ''))
    return jar['session'].value if 'session' in jar else ''


@pytest.mark.parametrize('compressed', [True, False])
def test_the_second_browser_gets_what_the_first_got(tmp_path: Path, compressed: bool) -> None:
    on_disk = (Path(nicegui.__file__).parent / FILE).read_bytes()
    app = AppProcess(tmp_path / 'app', app_env())
    with running_apps(app):
        url = f'{app.base_url}{IMMUTABLE}{FILE}'
        first, first_body = get(url, compressed=compressed)
        second, second_body = get(url, compressed=compressed, cookie='session=' + session(first))
        third, third_body = get(url, compressed=compressed)  # a browser with no session yet
    for headers, body in ((first, first_body), (second, second_body), (third, third_body)):
        assert (gzip.decompress(body) if compressed else body) == on_disk
        assert headers.get('content-encoding') == ('gzip' if compressed else None)
        assert 'immutable' in headers['cache-control'] and headers['x-frame-options'] == 'DENY'
        assert headers['etag'] == first['etag'] and headers['content-type'] == first['content-type']
    for headers, body in ((second, second_body), (third, third_body)):  # from memory: in one piece
        assert int(headers['content-length']) == len(body)
    assert session(third) not in {'', session(first)}  # its own session, never the first browser's
