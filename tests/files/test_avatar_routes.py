"""Avatar uploads and downloads through the real HTTP routes of a real app process, with a raw client (what an attacker
sends: the browser's own checks do not exist here). Accounts are made through the services on the app's database;
the tokens a settings page would hand out are signed here with the app's secret. The app keeps its default avatar
limit per account; the one per address is off, because every test's uploads come from one address."""

from __future__ import annotations

import http.client
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.files import avatars
from chatapp.files.avatar_tokens import AvatarTokens
from chatapp.files.links import UPLOAD_SECONDS, FileLinks
from chatapp.schemas import UserPublic
from chatapp.services import deletion, profiles
from chatapp.services.tx import ServiceRunner
from tests.conftest import TEST_SECRET, make_settings
from tests.databases import backends, fresh_database
from tests.e2e.harness import AppProcess, app_env, running_apps
from tests.factories import PASSWORD, make_user
from tests.files import pictures

AVATARS_PER_MINUTE = 5
"""The default of ``CHATAPP_LIMIT_AVATARS`` (``5/min,30/h``): five at once, then one every twelve seconds."""


@dataclass
class Server:
    app: AppProcess
    services: ServiceRunner
    tokens: AvatarTokens
    names: Iterator[int]

    @property
    def folder(self) -> Path:
        return self.app.data_dir / 'avatars'

    def person(self) -> UserPublic:
        return make_user(self.services, f'pic{next(self.names)}')

    def shown(self, person: UserPublic) -> str | None:
        return self.services.run_sync(profiles.my_profile, actor_id=person.id)[0].user.avatar


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope='module', params=backends())
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp('avatars')
    with fresh_database(request.param, folder) as url:
        env = app_env(database_url=url, secret=TEST_SECRET) | {'CHATAPP_LIMIT_AVATARS_PER_ADDRESS': 'off'}
        app = AppProcess(folder / 'app', env)
        with running_apps(app):
            services = make_runner(make_settings(folder / 'seed', url), MemoryBroker())
            try:
                yield Server(app, services, AvatarTokens(TEST_SECRET), iter(range(10**6)))
            finally:
                services.shutdown()
                services.engine.dispose()


def test_a_photo_becomes_the_avatar_served_in_every_size_square_and_without_metadata(server: Server) -> None:
    ada = server.person()
    sent = upload(server, ada, pictures.phone_photo(1200, 800))
    assert sent.status == 200, sent
    assert 'set-cookie' not in sent.headers
    picture = server.shown(ada)
    assert picture is not None and sent.body == f'{{"avatar":"{picture}"}}'.encode()
    for size in avatars.SIZES:
        got = request(server, 'GET', avatars.url(picture, size))
        assert got.status == 200, got
        assert got.headers['content-type'] == 'image/webp'
        assert got.headers['x-content-type-options'] == 'nosniff'
        assert got.headers['content-security-policy'].startswith("default-src 'none'")
        assert 'immutable' in got.headers['cache-control'] and 'set-cookie' not in got.headers
        assert pictures.MARKER not in got.body and b'Exif' not in got.body
        image = Image.open(io.BytesIO(got.body))
        assert (image.format, image.size) == ('WEBP', (size, size)) and not image.getexif()


@pytest.mark.parametrize(('body', 'status', 'says'), [
    (b'<!doctype html><script>alert(1)</script>', 415, b'JPEG, PNG, GIF or WebP'),
    (b'%PDF-1.7\n' + b'x' * 1000, 415, b'JPEG, PNG, GIF or WebP'),
    (pictures.bomb(), 413, b'megapixels'),
    (pictures.bomb(8000, 8000), 413, b'megapixels'),
    (b'\xff\xd8\xff\xe0 but no JPEG follows', 422, b'could not be read'),
])
def test_what_is_not_a_picture_we_can_show_is_refused_and_nothing_is_kept(server: Server, body: bytes, status: int,
                                                                         says: bytes) -> None:
    ada = server.person()
    before = folder_files(server.folder)
    sent = upload(server, ada, body)
    assert (sent.status, says in sent.body) == (status, True), sent
    assert folder_files(server.folder) == before
    assert server.shown(ada) is None
    assert 'Traceback' not in server.app.output()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(server: Server) -> None:
    ada = server.person()
    connection = http.client.HTTPConnection('127.0.0.1', server.app.port, timeout=10)
    connection.putrequest('POST', upload_path(server, ada))
    connection.putheader('Content-Length', str(avatars.MAX_UPLOAD_BYTES + 1))
    connection.endheaders()  # not one byte of the body is sent
    response = connection.getresponse()
    assert response.status == 413 and b'too large' in response.read()
    connection.close()
    big = b'\x89PNG\r\n\x1a\n' + os.urandom(avatars.MAX_UPLOAD_BYTES)
    assert upload(server, ada, big).status == 413  # sent whole, counted as it arrives


def test_the_sixth_picture_within_a_minute_is_refused_before_its_bytes_are_read(server: Server) -> None:
    ada, bea = server.person(), server.person()
    for shade in range(AVATARS_PER_MINUTE):
        assert upload(server, ada, coloured(11 + shade)).status == 200
    kept = server.shown(ada)
    before = folder_files(server.folder)
    refused = upload(server, ada, coloured(17))
    assert refused.status == 429 and b'too often' in refused.body, refused
    assert 1 <= int(refused.headers['retry-after']) <= 60 and refused.headers['cache-control'] == 'no-store'
    assert folder_files(server.folder) == before and server.shown(ada) == kept

    connection = http.client.HTTPConnection('127.0.0.1', server.app.port, timeout=10)
    connection.putrequest('POST', upload_path(server, ada))
    connection.putheader('Content-Length', '1000')
    connection.endheaders()  # not one byte of the body is sent: a route that waited for it would time out here
    response = connection.getresponse()
    assert response.status == 429 and b'too often' in response.read()
    connection.close()
    assert folder_files(server.folder) == before and server.shown(ada) == kept
    assert upload(server, bea, coloured(17)).status == 200  # the limit is ada's alone
    assert 'Traceback' not in server.app.output()


def test_a_tampered_expired_or_foreign_token_sets_nothing(server: Server) -> None:
    ada, eve = server.person(), server.person()
    good = server.tokens.upload_token(ada.id, 'page')
    tampered = server.tokens.upload_token(eve.id, 'page').split('.')[0] + '.' + good.split('.')[1]
    expired = server.tokens.upload_token(ada.id, 'page', now=time.time() - UPLOAD_SECONDS - 1)
    attachment_token = FileLinks(TEST_SECRET).upload_token(ada.id, 1, 'page')
    for bad in (tampered, expired, attachment_token, '', 'x'):
        answer = request(server, 'POST', f'/files/avatar?token={bad}', pictures.png())
        assert answer.status == 403, (bad, answer)
    assert (server.shown(ada), server.shown(eve)) == (None, None)


def test_a_deleted_account_gets_no_picture_and_its_files_are_not_kept(server: Server) -> None:
    ada = server.person()
    token = upload_path(server, ada)
    server.services.run_sync(deletion.delete_account, actor_id=ada.id, password=PASSWORD, client_key='t')
    before = folder_files(server.folder)
    answer = request(server, 'POST', token, pictures.png(33, 33))
    assert answer.status == 404, answer
    assert folder_files(server.folder) == before


def test_a_replaced_picture_goes_unless_someone_else_still_shows_it(server: Server) -> None:
    ada, bea = server.person(), server.person()
    assert upload(server, ada, coloured(1)).status == 200
    first = server.shown(ada)
    assert first is not None
    assert upload(server, bea, coloured(1)).status == 200
    assert server.shown(bea) == first  # the same picture: the same files
    age(server.folder, first)

    assert upload(server, ada, coloured(2)).status == 200
    second = server.shown(ada)
    assert second not in (None, first)
    assert stored(server, first)  # bea still shows it

    assert upload(server, bea, coloured(3)).status == 200
    assert not stored(server, first)  # nobody does any more
    assert request(server, 'GET', avatars.url(first, 96)).status == 404

    assert second is not None
    assert upload(server, ada, coloured(4)).status == 200
    assert stored(server, second)  # written a moment ago: it might be another upload's in flight; the sweep takes it


def test_unknown_and_malformed_names_are_not_found(server: Server) -> None:
    for path in (avatars.url('0' * 64, 96), '/avatars/' + '0' * 64 + '-97.webp', '/avatars/../secret.key',
                 '/avatars/' + '0' * 64 + '.thumb'):
        assert request(server, 'GET', path).status == 404, path


# --- helpers -------------------------------------------------------------------------------------------------------

def upload_path(server: Server, owner: UserPublic) -> str:
    return f'/files/avatar?token={server.tokens.upload_token(owner.id, "test-page")}'


def upload(server: Server, owner: UserPublic, body: bytes) -> Answer:
    """What ``q-uploader`` with ``send-raw`` sends: the bytes as the body."""
    return request(server, 'POST', upload_path(server, owner), body)


def request(server: Server, method: str, path: str, body: bytes | None = None) -> Answer:
    connection = http.client.HTTPConnection('127.0.0.1', server.app.port, timeout=30)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def folder_files(folder: Path) -> set[tuple[str, int]]:
    return {(str(path.relative_to(folder)), path.stat().st_size) for path in folder.rglob('*') if path.is_file()} \
        if folder.exists() else set()


def coloured(shade: int) -> bytes:
    """A PNG whose avatar differs from any other shade's (a plain colour looks the same at any size)."""
    out = io.BytesIO()
    Image.new('RGB', (80, 60), (10 * shade, 100, 200)).save(out, 'PNG')
    return out.getvalue()


def stored(server: Server, picture: str) -> bool:
    """Whether any size of ``picture`` is on disk."""
    return any((server.folder / str(size) / picture[:2] / picture).exists() for size in avatars.SIZES)


def age(folder: Path, picture: str, seconds: float = 3600) -> None:
    """Make the picture's files look written ``seconds`` ago (past the grace an upload in flight gets)."""
    then = time.time() - seconds
    for size in avatars.SIZES:
        os.utime(folder / str(size) / picture[:2] / picture, (then, then))
