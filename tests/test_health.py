"""``/healthz`` through the real HTTP route of a real process: 200 while the database and Redis answer, 503 when one
of them does not, a short JSON body, and never a session cookie."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

import pytest

from bench.server import free_port
from tests.databases import backends, fresh_database
from tests.e2e.harness import AppProcess, app_env, running_apps


def test_a_healthy_app_answers_200_and_sets_no_cookie(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / 'app', app_env())
    with running_apps(app):
        assert health(app) == (200, {'database': 'ok'}, None)
        assert health(app, method='HEAD')[0] == 200
        visitor = session_cookie(app)  # a browser that has a session keeps it: no new cookie, no deletion
        assert health(app, cookie=visitor) == (200, {'database': 'ok'}, None)


def test_redis_is_checked_when_configured(tmp_path: Path, redis_url: str) -> None:
    app = AppProcess(tmp_path / 'app', app_env(redis_url=redis_url, redis_prefix=f'health-{uuid.uuid4().hex[:8]}'))
    with running_apps(app):
        assert health(app) == (200, {'database': 'ok', 'redis': 'ok'}, None)


def test_unreachable_redis_answers_503(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / 'app', app_env(redis_url=f'redis://127.0.0.1:{free_port()}/0'))  # nobody listens
    with running_apps(app):
        assert health(app) == (503, {'database': 'ok', 'redis': 'unreachable'}, None)
        assert health(app, method='HEAD')[0] == 503


@pytest.mark.parametrize('backend', backends())
def test_unreachable_database_answers_503_until_it_is_back(tmp_path: Path, backend: str) -> None:
    """SQLite: the data folder is moved away under the running app (the pool's open files would go on working, on a
    file nobody will find again). PostgreSQL: the server stops answering (a proxy in front of it closes)."""
    with fresh_database(backend, tmp_path / 'db') as url, database_route(backend, url) as (route_url, cut):
        env = app_env(database_url=route_url) if backend != 'sqlite' else app_env()
        app = AppProcess(tmp_path / 'app', env)
        with running_apps(app):
            assert health(app) == (200, {'database': 'ok'}, None)
            with cut(app):
                status, body, cookie = health(app)
                assert (status, body, cookie) == (503, {'database': 'unreachable'}, None)
            if backend == 'sqlite':  # a proxy that closed stays closed; a folder can come back
                assert health(app) == (200, {'database': 'ok'}, None)
        assert 'Traceback' not in app.output()


# --- helpers -------------------------------------------------------------------------------------------------------

Cut = Callable[[AppProcess], AbstractContextManager[None]]

def health(app: AppProcess, *, method: str = 'GET', cookie: str | None = None
           ) -> tuple[int, dict[str, str] | None, str | None]:
    """The status, the JSON body (None for HEAD) and any Set-Cookie header of ``/healthz``."""
    request = urllib.request.Request(f'{app.base_url}/healthz', method=method,  # noqa: S310  (our own http URL)
                                     headers={'Cookie': cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (our own http URL)
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    if method == 'HEAD':
        assert body == b''
    return status, json.loads(body) if body else None, headers.get('Set-Cookie')


def session_cookie(app: AppProcess) -> str:
    with urllib.request.urlopen(f'{app.base_url}/login', timeout=10) as response:  # noqa: S310
        cookie = response.headers.get('Set-Cookie')
    assert cookie and cookie.startswith('session=')
    return cookie.split(';', 1)[0]


@contextmanager
def database_route(backend: str, url: str) -> Iterator[tuple[str, Cut]]:
    """The URL the app should use and a context manager that makes the database unreachable for the app."""
    if backend == 'sqlite':
        @contextmanager
        def move_folder(app: AppProcess) -> Iterator[None]:
            moved = app.data_dir.with_name('moved')
            app.data_dir.rename(moved)
            try:
                yield
            finally:
                moved.rename(app.data_dir)

        yield url, move_folder
        return
    from sqlalchemy.engine import make_url

    server = make_url(url)
    with TcpProxy(server.host or '127.0.0.1', server.port or 5432) as proxy:
        @contextmanager
        def close_proxy(_app: AppProcess) -> Iterator[None]:
            proxy.close()
            yield

        yield server.set(host='127.0.0.1', port=proxy.port).render_as_string(hide_password=False), close_proxy


class TcpProxy:
    """Forwards connections to ``host:port`` until closed; closing drops every connection and refuses new ones, as
    a database server that went away does."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for sock in [self.listener, *self.sockets]:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)

