"""The parts of ``chatapp.files`` alone: content sniffing, name cleaning, signed links, picture processing, the store
and the spool."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from chatapp.errors import Invalid
from chatapp.files import images
from chatapp.files.links import LINK_SECONDS, UPLOAD_SECONDS, FileLinks
from chatapp.files.names import MAX_BYTES, clean_filename
from chatapp.files.sniff import OPAQUE, sniff
from chatapp.files.spool import TooLarge, spool
from chatapp.files.store import LocalFileStore, blob_name
from chatapp.files.waiting import Waiting
from chatapp.schemas import AttachmentInfo
from tests.files import pictures

SECRET = 'file-links-secret-' + 'y' * 40


# --- what a file is ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(('head', 'mime', 'image_format'), [
    (pictures.phone_photo()[:16], 'image/jpeg', 'JPEG'),
    (pictures.png()[:16], 'image/png', 'PNG'),
    (pictures.animated_gif()[:16], 'image/gif', 'GIF'),
    (b'RIFF\x10\x00\x00\x00WEBPVP8 ', 'image/webp', 'WEBP'),
    (b'%PDF-1.7\n%\xe2\xe3', 'application/pdf', None),
    (b'<html><script>alert(1)</script>', OPAQUE, None),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">', OPAQUE, None),
    (b'\x89PNG', OPAQUE, None),  # a signature cut short is no PNG
    (b'', OPAQUE, None),
])
def test_the_type_comes_from_the_content(head: bytes, mime: str, image_format: str | None) -> None:
    found = sniff(head)
    assert (found.mime, found.format) == (mime, image_format)


# --- names ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(('raw', 'clean'), [
    ('report.pdf', 'report.pdf'),
    ('../../etc/passwd', 'passwd'),
    ('C:\\Users\\ada\\notes.txt', 'notes.txt'),
    ('invoice\u202egpj.exe', 'invoicegpj.exe'),  # the override would show it as "invoiceexe.jpg"
    ('a\x00b\x1fc\r\nd.txt', 'ab c d.txt'),  # NUL dropped; other controls that Python counts as spaces
    ('.bashrc', 'bashrc'),
    ('...', 'file'),
    ('', 'file'),
    ('CON.txt', '_CON.txt'),
    ('what?<>|*".txt', 'what______.txt'),
    ('  spaced   out  .txt  ', 'spaced out.txt'),
    ('Cafe\u0301.txt', 'Café.txt'),  # composed (NFC)
])
def test_names_are_cleaned(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_a_long_name_keeps_its_extension_and_fits_a_file_system() -> None:
    name = clean_filename('ü' * 400 + '.jpeg')
    assert name.endswith('.jpeg') and len(name.encode()) <= MAX_BYTES
    assert clean_filename('x' * 1000).startswith('x') and len(clean_filename('x' * 1000)) <= MAX_BYTES


def test_a_picture_gets_the_extension_of_what_it_is() -> None:
    assert clean_filename('holiday.heic', image_format='JPEG') == 'holiday.jpg'
    assert clean_filename('x.png', image_format='GIF') == 'x.gif'
    assert clean_filename('', image_format='PNG') == 'picture.png'


# --- links ---------------------------------------------------------------------------------------------------------

def test_a_file_link_works_for_an_hour_and_names_what_it_was_made_for() -> None:
    links = FileLinks(SECRET)
    now = 1_700_000_000.0
    url = links.file_url(7, 42, 'thumb', now=now)
    assert url.startswith('/files/')
    grant = links.read_file_token(url.removeprefix('/files/'), now=now + LINK_SECONDS - 301)
    assert (grant.viewer_id, grant.attachment_id, grant.variant) == (7, 42, 'thumb')
    with pytest.raises(Invalid) as expired:
        links.read_file_token(url.removeprefix('/files/'), now=now + LINK_SECONDS)
    assert expired.value.code == 'expired'


def test_a_tampered_or_foreign_link_is_refused() -> None:
    links = FileLinks(SECRET)
    token = links.file_url(7, 42).removeprefix('/files/')
    payload, signature = token.rsplit('.', 1)
    other_payload = links.file_url(8, 42).removeprefix('/files/').rsplit('.', 1)[0]
    altered = signature[:10] + ('B' if signature[10] == 'A' else 'A') + signature[11:]  # not the last: padding bits
    for forged in (f'{other_payload}.{signature}', f'{payload}.{altered}', 'garbage', '',
                   FileLinks('another-secret-' + 'z' * 40).file_url(7, 42).removeprefix('/files/'),
                   links.upload_token(7, 42, 'nonce')):  # a token for another purpose
        with pytest.raises(Invalid) as refused:
            links.read_file_token(forged)
        assert refused.value.code == 'bad_link', forged


def test_an_upload_token_is_short_lived() -> None:
    links = FileLinks(SECRET)
    token = links.upload_token(3, 9, 'page-nonce', now=1000.0)
    grant = links.read_upload_token(token, now=1000.0 + UPLOAD_SECONDS - 1)
    assert (grant.account_id, grant.conversation_id, grant.nonce) == (3, 9, 'page-nonce')
    with pytest.raises(Invalid, match='too long'):
        links.read_upload_token(token, now=1000.0 + UPLOAD_SECONDS)
    with pytest.raises(Invalid):
        links.read_upload_token(links.file_url(3, 9).removeprefix('/files/'))


# --- pictures ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('profile', [False, True])
def test_a_photo_loses_every_piece_of_metadata_and_stands_upright(tmp_path: Path, profile: bool) -> None:
    original = pictures.phone_photo(1200, 800, profile=profile)
    assert original.count(pictures.MARKER) >= 3 and Image.open(io.BytesIO(original)).getexif()
    picture = images.process(_file(tmp_path, original), 'JPEG')
    assert pictures.MARKER not in picture.data and b'Exif' not in picture.data and b'ICC_PROFILE' not in picture.data
    served = Image.open(io.BytesIO(picture.data))
    assert (served.format, served.size, (picture.width, picture.height)) == ('JPEG', (800, 1200), (800, 1200))
    assert not served.getexif() and not {'exif', 'xmp', 'comment', 'icc_profile'} & set(served.info)
    assert picture.sha256 == hashlib.sha256(picture.data).hexdigest()


def test_a_thumbnail_is_made_smaller(tmp_path: Path) -> None:
    picture = images.process(_file(tmp_path, pictures.phone_photo(1200, 800)), 'JPEG')
    thumb = Image.open(io.BytesIO(picture.thumbnail))
    assert thumb.format == 'WEBP' and max(thumb.size) == images.THUMB_SIZE and thumb.size == (320, 480)
    assert len(picture.thumbnail) < len(picture.data)


def test_an_animation_keeps_its_frames_but_not_its_comment(tmp_path: Path) -> None:
    picture = images.process(_file(tmp_path, pictures.animated_gif(frames=4)), 'GIF')
    served = Image.open(io.BytesIO(picture.data))
    assert getattr(served, 'n_frames', 1) == 4 and pictures.MARKER not in picture.data


def test_a_png_loses_its_text_and_keeps_its_transparency(tmp_path: Path) -> None:
    picture = images.process(_file(tmp_path, pictures.png(text=pictures.MARKER)), 'PNG')
    served = Image.open(io.BytesIO(picture.data))
    assert pictures.MARKER not in picture.data
    assert served.mode == 'RGBA' and served.getpixel((0, 0)) == (10, 200, 30, 128)


@pytest.mark.parametrize('size', [(100_000, 100_000), (8000, 8000), (40_001, 1000)])
def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path, size: tuple[int, int]) -> None:
    """100,000 square is past Pillow's own limit; 64 MP and 40 MP and a bit are only past ours."""
    started = time.perf_counter()
    with pytest.raises(images.Refused) as refused:
        images.process(_file(tmp_path, pictures.bomb(*size)), 'PNG')
    assert refused.value.code == 'too_many_pixels'
    assert time.perf_counter() - started < 1  # refused from the header: nothing was decoded


def test_a_picture_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(images.Refused) as refused:
        images.process(_file(tmp_path, b'\x89PNG\r\n\x1a\n<html>not really</html>'), 'PNG')
    assert refused.value.code == 'unreadable'
    with pytest.raises(images.Refused):  # a GIF is not decoded as the JPEG the sniffer said it was
        images.process(_file(tmp_path, pictures.animated_gif()), 'JPEG')


# --- the store and the spool ---------------------------------------------------------------------------------------

async def test_the_store_keeps_a_blob_whole_or_not_at_all(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / 'files')
    name = blob_name(hashlib.sha256(b'abc').hexdigest())
    await store.write(name, _chunks(b'a', b'b', b'c'))
    blob = await store.open(name)
    assert blob is not None and blob.size == 3 and b''.join([c async for c in blob.chunks]) == b'abc'
    assert await store.exists(name) and await store.total_size() == 3

    broken = blob_name('0' * 64)
    with pytest.raises(RuntimeError):
        await store.write(broken, _chunks(b'half', fail=True))
    assert not await store.exists(broken) and await store.open(broken) is None
    assert list(store.incoming.iterdir()) == []  # no temporary file left
    await store.delete(name)
    assert not await store.exists(name) and await store.total_size() == 0


def test_blob_names_are_hashes_only(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    for bad in ('../secret.key', '0' * 63, 'A' * 64, '0' * 64 + '.exe', '0' * 64 + '/x'):
        with pytest.raises(ValueError, match='blob name'):
            asyncio.run(store.exists(bad))


async def test_the_spool_cuts_off_at_the_limit_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / 'incoming'
    received: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            received.append(1)
            yield b'x' * 1000

    with pytest.raises(TooLarge):
        await spool(endless(), folder, limit=10_500)
    assert len(received) == 11  # stopped at the chunk that passed the limit
    assert list(folder.iterdir()) == []

    done = await spool(_chunks(b'\x89PNG\r\n\x1a\n', b'rest' * 10), folder, limit=48)
    assert (done.size, done.head, done.sha256) == (48, b'\x89PNG\r\n\x1a\nrestrest',
                                                   hashlib.sha256(b'\x89PNG\r\n\x1a\n' + b'rest' * 10).hexdigest())
    assert done.path.read_bytes().endswith(b'rest')


def test_waiting_pages_hear_of_their_own_uploads_only() -> None:
    waiting = Waiting()
    heard: list[tuple[str, int]] = []
    info = AttachmentInfo(id=5, kind='file', mime=OPAQUE, filename='a.bin', size=1)
    forget = waiting.register('one', lambda arrived: heard.append(('one', arrived.id)))
    waiting.register('two', lambda arrived: heard.append(('two', arrived.id)))
    assert waiting.deliver('one', info) and not waiting.deliver('three', info)
    forget()
    assert not waiting.deliver('one', info) and len(waiting) == 1
    assert heard == [('one', 5)]


def _file(folder: Path, data: bytes) -> Path:
    path = folder / 'upload'
    path.write_bytes(data)
    return path


async def _chunks(*parts: bytes, fail: bool = False) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if fail:
        raise RuntimeError('the client went away')
