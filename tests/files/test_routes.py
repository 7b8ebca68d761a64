"""Uploads and downloads through the real HTTP routes of a real app process, with a raw client (no browser: NiceGUI's
upload limit lives in the browser, so these requests are what an attacker sends). The app runs with an upload limit
of 1 MiB and a quota of 3 MiB; the accounts are made through the services on the app's database, and the tokens a
page would hand out are signed here with the app's secret."""

from __future__ import annotations

import http.client
import io
import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.files.links import LINK_SECONDS, UPLOAD_SECONDS, FileLinks
from chatapp.schemas import UserPublic
from chatapp.services import attachments, groups
from chatapp.services.tx import ServiceRunner
from tests.conftest import TEST_SECRET, make_settings
from tests.databases import backends, fresh_database
from tests.e2e.harness import AppProcess, app_env, running_apps
from tests.factories import make_group, make_user, open_chat, say
from tests.files import pictures

MIB = 1 << 20
LIMIT = 1 * MIB
QUOTA = 3 * MIB
UPLOADS_PER_MINUTE = 6
"""The app's upload limit here (every test's uploads come from one address: only the per-account one is on)."""


@dataclass
class Server:
    app: AppProcess
    services: ServiceRunner
    links: FileLinks
    names: Iterator[int]

    @property
    def files(self) -> Path:
        return self.app.data_dir / 'files'

    def person(self, prefix: str) -> UserPublic:
        return make_user(self.services, f'{prefix}{next(self.names)}')


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope='module', params=backends())
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp('files')
    with fresh_database(request.param, folder) as url:
        env = app_env(database_url=url, secret=TEST_SECRET) | {'CHATAPP_MAX_UPLOAD_MB': '1', 'CHATAPP_QUOTA_MB': '3',
                                                                   'CHATAPP_LIMIT_UPLOADS': f'{UPLOADS_PER_MINUTE}/min',
                                                                   'CHATAPP_LIMIT_UPLOADS_PER_ADDRESS': 'off'}
        app = AppProcess(folder / 'app', env)
        with running_apps(app):
            services = make_runner(make_settings(folder / 'seed', url), MemoryBroker())
            try:
                yield Server(app, services, FileLinks(TEST_SECRET), iter(range(10**6)))
            finally:
                services.shutdown()
                services.engine.dispose()


@pytest.fixture
def chat(server: Server) -> tuple[UserPublic, UserPublic, int]:
    """Two new friends and their direct conversation."""
    ada, bea = server.person('ada'), server.person('bea')
    return ada, bea, open_chat(server.services, ada, bea)


# --- what is stored and how it is served ---------------------------------------------------------------------------

def test_a_file_is_stored_and_served_as_a_download_under_its_cleaned_name(server: Server, chat: Any) -> None:
    ada, bea, conversation = chat
    content = b'%PDF-1.7\n' + os.urandom(50_000)
    sent = upload(server, ada, conversation, content, name='../Q3 r\u00e9sum\u00e9\u202e.pdf')
    assert sent.status == 200, sent
    info = sent.json()
    assert (info['kind'], info['mime'], info['filename'], info['size']) == \
        ('file', 'application/pdf', 'Q3 résumé.pdf', len(content))
    assert 'set-cookie' not in sent.headers
    attach(server, ada, conversation, info['id'])

    got = get(server, server.links.file_url(bea.id, info['id']))
    assert got.status == 200 and got.body == content
    assert got.headers['content-type'] == 'application/pdf'
    assert got.headers['content-disposition'] == \
        "attachment; filename=\"Q3 r_sum_.pdf\"; filename*=UTF-8''Q3%20r%C3%A9sum%C3%A9.pdf"
    assert got.headers['x-content-type-options'] == 'nosniff'
    assert got.headers['content-security-policy'].startswith("default-src 'none'")
    assert 'sandbox' in got.headers['content-security-policy']
    assert got.headers['cache-control'].startswith('private')
    assert get(server, server.links.file_url(bea.id, info['id'], 'thumb')).status == 404  # a file has no thumbnail


def test_html_that_claims_to_be_a_png_is_served_as_an_opaque_download(server: Server, chat: Any) -> None:
    ada, _, conversation = chat
    html = b'<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'
    sent = upload(server, ada, conversation, html, name='x.png', content_type='image/png')
    assert sent.status == 200, sent
    assert (sent.json()['kind'], sent.json()['mime'], sent.json()['filename']) == \
        ('file', 'application/octet-stream', 'x.png')
    got = get(server, server.links.file_url(ada.id, sent.json()['id']))
    assert got.status == 200 and got.body == html
    assert got.headers['content-type'] == 'application/octet-stream'
    assert got.headers['content-disposition'].startswith('attachment;')
    assert got.headers['x-content-type-options'] == 'nosniff'


def test_a_photo_is_served_without_its_metadata_and_with_a_smaller_thumbnail(server: Server, chat: Any) -> None:
    ada, bea, conversation = chat
    photo = pictures.phone_photo(1200, 800)
    assert photo.count(pictures.MARKER) >= 3
    sent = upload(server, ada, conversation, photo, name='IMG_0042.HEIC')
    assert sent.status == 200, sent
    info = sent.json()
    assert (info['kind'], info['mime'], info['filename'], info['width'], info['height']) == \
        ('image', 'image/jpeg', 'IMG_0042.jpg', 800, 1200)  # upright, as its orientation said
    attach(server, ada, conversation, info['id'])

    full = get(server, server.links.file_url(bea.id, info['id']))
    assert full.status == 200 and full.headers['content-type'] == 'image/jpeg'
    assert full.headers['content-disposition'].startswith('inline;')
    assert full.headers['x-content-type-options'] == 'nosniff'
    assert pictures.MARKER not in full.body and b'Exif' not in full.body
    image = Image.open(io.BytesIO(full.body))
    assert image.size == (800, 1200) and not image.getexif() and 'exif' not in image.info
    assert len(full.body) == info['size']

    thumb = get(server, server.links.file_url(bea.id, info['id'], 'thumb'))
    assert thumb.status == 200 and thumb.headers['content-type'] == 'image/webp'
    small = Image.open(io.BytesIO(thumb.body))
    assert max(small.size) <= 480 and small.size < image.size and len(thumb.body) < len(full.body)
    assert pictures.MARKER not in thumb.body


@pytest.mark.parametrize('size', [(100_000, 100_000), (8000, 8000)])
def test_a_decompression_bomb_is_refused_cleanly(server: Server, chat: Any, size: tuple[int, int]) -> None:
    ada, _, conversation = chat
    before = folder_files(server.files)
    sent = upload(server, ada, conversation, pictures.bomb(*size), name='bomb.png')
    assert sent.status == 413 and b'megapixels' in sent.body, sent
    assert folder_files(server.files) == before
    assert 'Traceback' not in server.app.output()


def test_a_picture_that_is_not_one_is_refused(server: Server, chat: Any) -> None:
    ada, _, conversation = chat
    sent = upload(server, ada, conversation, b'\xff\xd8\xff\xe0 but no JPEG follows', name='broken.jpg')
    assert sent.status == 422 and b'could not be read' in sent.body, sent


# --- limits --------------------------------------------------------------------------------------------------------

def test_an_over_size_upload_is_cut_off_while_it_arrives_and_nothing_is_kept(server: Server, chat: Any) -> None:
    """Sent in chunks without a length, as a client that lies would: the server must count. The files folder is
    watched the whole time: it never holds more than the limit of this upload, and ends as it began."""
    ada, _, conversation = chat
    before = folder_files(server.files)
    with watched(server.files) as peak:
        status, body, sent = upload_in_chunks(server, ada, conversation, total=5 * LIMIT)
    assert status == 413 and b'too large' in body, (status, body)
    assert sent < 5 * LIMIT  # the answer came while the client was still sending
    assert peak[0] - sum(size for _, size in before) <= LIMIT
    assert folder_files(server.files) == before
    assert 'Traceback' not in server.app.output()


def test_an_upload_that_declares_too_many_bytes_is_refused_before_any_arrives(server: Server, chat: Any) -> None:
    ada, _, conversation = chat
    connection = http.client.HTTPConnection('127.0.0.1', server.app.port, timeout=10)
    connection.putrequest('POST', upload_path(server, ada, conversation))
    connection.putheader('Content-Length', str(LIMIT + 1))
    connection.endheaders()  # not one byte of the body is sent
    response = connection.getresponse()
    assert response.status == 413 and b'too large' in response.read()
    connection.close()


def test_the_quota_is_enforced_as_the_bytes_arrive(server: Server) -> None:
    ada, bea = server.person('ada'), server.person('bea')
    conversation = open_chat(server.services, ada, bea)
    for _ in range(3):  # 3 x 1,000,000 bytes fit in 3 MiB
        assert upload(server, ada, conversation, os.urandom(1_000_000)).status == 200
    before = folder_files(server.files)
    refused = upload(server, ada, conversation, os.urandom(200_000))
    assert refused.status == 413 and b'space left' in refused.body, refused
    assert folder_files(server.files) == before
    assert upload(server, bea, conversation, os.urandom(200_000)).status == 200  # bea's space is her own


def test_uploads_past_the_rate_limit_are_refused_before_their_bytes_are_read(server: Server) -> None:
    ada, bea = server.person('ada'), server.person('bea')
    conversation = open_chat(server.services, ada, bea)
    for _ in range(UPLOADS_PER_MINUTE):
        assert upload(server, ada, conversation, os.urandom(1000)).status == 200
    before = folder_files(server.files)
    refused = upload(server, ada, conversation, os.urandom(1000))
    assert refused.status == 429 and b'too fast' in refused.body, refused
    assert folder_files(server.files) == before
    assert upload(server, bea, conversation, os.urandom(1000)).status == 200  # the limit is ada's alone


# --- tokens and links ----------------------------------------------------------------------------------------------

def test_a_tampered_expired_or_foreign_upload_token_stores_nothing(server: Server, chat: Any) -> None:
    ada, _, conversation = chat
    stranger = server.person('eve')
    before = folder_files(server.files)
    token = server.links.upload_token(ada.id, conversation, 'nonce')
    tampered = server.links.upload_token(stranger.id, conversation, 'nonce').split('.')[0] + '.' + \
        token.split('.')[1]
    expired = server.links.upload_token(ada.id, conversation, 'nonce', now=time.time() - UPLOAD_SECONDS - 1)
    for bad, status in ((tampered, 403), (expired, 403), ('', 403),
                        (server.links.upload_token(stranger.id, conversation, 'nonce'), 404)):
        answer = post(server, f'/files/upload?token={bad}', b'hello')
        assert answer.status == status, (bad, answer)
    assert folder_files(server.files) == before


def test_a_tampered_expired_or_foreign_link_gets_no_bytes(server: Server, chat: Any) -> None:
    ada, bea, conversation = chat
    secret_bytes = b'%PDF-1.4 ' + b'secret contents ' * 100
    info = upload(server, ada, conversation, secret_bytes).json()
    attach(server, ada, conversation, info['id'])
    assert get(server, server.links.file_url(bea.id, info['id'])).body == secret_bytes

    stranger = server.person('eve')
    expired = server.links.file_url(bea.id, info['id'], now=time.time() - LINK_SECONDS - 600)
    good = server.links.file_url(bea.id, info['id']).removeprefix('/files/')
    forged = server.links.file_url(stranger.id, info['id']).removeprefix('/files/').split('.')[0]
    for url, status in ((expired, 403), (f'/files/{forged}.{good.split(".")[1]}', 403), ('/files/x', 403),
                        (server.links.file_url(stranger.id, info['id']), 404),  # signed for someone who may not
                        (server.links.file_url(bea.id, 10**6), 404)):
        got = get(server, url)
        assert got.status == status and b'secret contents' not in got.body, (url, got)


def test_a_link_stops_working_when_its_viewer_leaves_the_group(server: Server) -> None:
    ada, bea, cyd = server.person('ada'), server.person('bea'), server.person('cyd')
    group = make_group(server.services, ada, [bea, cyd]).conversation_id
    info = upload(server, ada, group, b'%PDF-1.4 group secret').json()
    link = server.links.file_url(bea.id, info['id'])
    assert get(server, link).status == 404  # not sent yet: the uploader's alone
    attach(server, ada, group, info['id'])
    assert get(server, link).status == 200
    server.services.run_sync(groups.leave_group, actor_id=bea.id, conversation_id=group)
    got = get(server, link)
    assert got.status == 404 and b'group secret' not in got.body
    assert get(server, server.links.file_url(cyd.id, info['id'])).status == 200


# --- the client ----------------------------------------------------------------------------------------------------

def upload_path(server: Server, owner: UserPublic, conversation_id: int) -> str:
    return f'/files/upload?token={server.links.upload_token(owner.id, conversation_id, "test-page")}'


def upload(server: Server, owner: UserPublic, conversation_id: int, content: bytes, *, name: str = 'file.bin',
           content_type: str = 'application/octet-stream') -> Answer:
    """What ``q-uploader`` with ``send-raw`` sends: the bytes as the body, the name URL-encoded in a header."""
    return post(server, upload_path(server, owner, conversation_id), content,
                {'Content-Type': content_type, 'X-File-Name': quote(name)})


def attach(server: Server, sender: UserPublic, conversation_id: int, attachment_id: int) -> None:
    """Send a message that carries the upload, as ``send_message(..., attachment_id=...)`` will."""
    message = say(server.services, sender, conversation_id, 'here it is')
    server.services.run_sync(lambda tx: attachments.claim(
        tx.session.connection(), actor_id=sender.id, conversation_id=conversation_id, attachment_id=attachment_id,
        message_id=message.id))


def post(server: Server, path: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    return _request(server, 'POST', path, body, headers or {})


def get(server: Server, path: str) -> Answer:
    return _request(server, 'GET', path, None, {})


def _request(server: Server, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
    connection = http.client.HTTPConnection('127.0.0.1', server.app.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def upload_in_chunks(server: Server, owner: UserPublic, conversation_id: int, total: int,
                     chunk: int = 64 * 1024) -> tuple[int, bytes, int]:
    """Send ``total`` bytes chunked (no length the server could check first), stopping when the server answers;
    the status, the body and how many bytes were sent."""
    sock = socket.create_connection(('127.0.0.1', server.app.port), timeout=15)
    sent = 0
    try:
        sock.sendall(f'POST {upload_path(server, owner, conversation_id)} HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     'Transfer-Encoding: chunked\r\nX-File-Name: big.bin\r\n\r\n'.encode())
        while sent < total and not select.select([sock], [], [], 0)[0]:
            data = os.urandom(chunk)
            try:
                sock.sendall(b'%x\r\n%b\r\n' % (len(data), data))
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(data)
        else:
            if sent >= total:
                sock.sendall(b'0\r\n\r\n')
        answer = _read_answer(sock)
    finally:
        sock.close()
    head, _, body = answer.partition(b'\r\n\r\n')
    return int(head.split(b' ', 2)[1]), body, sent


def _read_answer(sock: socket.socket) -> bytes:
    received = b''
    try:
        while chunk := sock.recv(65536):
            received += chunk
            head, separator, body = received.partition(b'\r\n\r\n')
            length = [int(line.split(b':')[1]) for line in head.split(b'\r\n') if line.lower().startswith(
                b'content-length:')]
            if separator and length and len(body) >= length[0]:
                break
    except ConnectionResetError:  # the server closed a connection whose body it would not read; its answer came
        pass
    return received


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``, temporary ones included."""
    return sum(path.stat().st_size for path in folder.rglob('*') if path.is_file()) if folder.exists() else 0


def folder_files(folder: Path) -> set[tuple[str, int]]:
    """Every file under ``folder`` (temporary ones included, empty ones too) with its size."""
    return {(str(path.relative_to(folder)), path.stat().st_size) for path in folder.rglob('*') if path.is_file()} \
        if folder.exists() else set()


@contextmanager
def watched(folder: Path) -> Iterator[list[int]]:
    """Polls ``folder_bytes`` every few milliseconds while the block runs; the list's one item is the most it saw."""
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with suppress(FileNotFoundError):  # a temporary file went while it was counted
                peak[0] = max(peak[0], folder_bytes(folder))
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
