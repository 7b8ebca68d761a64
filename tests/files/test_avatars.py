"""Making an avatar from an upload (``chatapp.files.avatars.make``): squares of every size, upright, centred, without
metadata; pictures too large to decode or not pictures at all refused before anything is kept."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from chatapp.files import avatars
from chatapp.files.images import Refused
from chatapp.files.sniff import sniff
from tests.files import pictures


def made(tmp_path: Path, data: bytes) -> avatars.Avatar:
    path = tmp_path / 'upload'
    path.write_bytes(data)
    image_format = sniff(data[:16]).format
    assert image_format is not None
    return avatars.make(path, image_format)


def test_a_phone_photo_becomes_upright_squares_of_every_size_without_its_metadata(tmp_path: Path) -> None:
    photo = pictures.phone_photo(1200, 800)  # sideways: upright it is 800 wide and 1200 tall
    avatar = made(tmp_path, photo)
    assert sorted(avatar.sizes) == list(avatars.SIZES)
    for size, data in avatar.sizes.items():
        assert pictures.MARKER not in data and b'Exif' not in data and b'XMP' not in data
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ('WEBP', (size, size))
        assert not image.getexif() and 'icc_profile' not in image.info and 'xmp' not in image.info
    upright = Image.open(io.BytesIO(avatar.sizes[avatars.LARGEST])).convert('L')
    across = abs(upright.getpixel((10, 128)) - upright.getpixel((245, 128)))  # type: ignore[operator]
    down = abs(upright.getpixel((128, 10)) - upright.getpixel((128, 245)))  # type: ignore[operator]
    assert across > 100 and down < 20, (across, down)  # the sideways gradient now runs across
    assert avatar.sha256 == hashlib.sha256(avatar.sizes[avatars.LARGEST]).hexdigest()


def test_the_square_is_the_middle_of_the_picture(tmp_path: Path) -> None:
    """A wide picture, red on the left third, green in the middle, blue on the right: only green is kept."""
    wide = Image.new('RGB', (900, 300), (255, 0, 0))
    wide.paste((0, 255, 0), (300, 0, 600, 300))
    wide.paste((0, 0, 255), (600, 0, 900, 300))
    out = io.BytesIO()
    wide.save(out, 'PNG')
    image = Image.open(io.BytesIO(made(tmp_path, out.getvalue()).sizes[96])).convert('RGB')
    for x in (4, 48, 91):
        red, green, blue = image.getpixel((x, 48))  # type: ignore[misc]
        assert green > 200 and red < 40 and blue < 40, (x, red, green, blue)


def test_transparency_is_kept_and_a_small_picture_is_scaled_up(tmp_path: Path) -> None:
    avatar = made(tmp_path, pictures.png(20, 30))
    image = Image.open(io.BytesIO(avatar.sizes[avatars.LARGEST]))
    assert image.size == (256, 256) and image.mode == 'RGBA'


def test_an_animation_keeps_its_first_frame(tmp_path: Path) -> None:
    image = Image.open(io.BytesIO(made(tmp_path, pictures.animated_gif()).sizes[48]))
    assert getattr(image, 'n_frames', 1) == 1


@pytest.mark.parametrize('size', [(100_000, 100_000), (8000, 8000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path, size: tuple[int, int]) -> None:
    with pytest.raises(Refused) as refused:
        made(tmp_path, pictures.bomb(*size))
    assert refused.value.code == 'too_many_pixels'


def test_a_broken_picture_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused) as refused:
        made(tmp_path, b'\x89PNG\r\n\x1a\n' + b'\x00' * 100)
    assert refused.value.code == 'unreadable'


@pytest.mark.parametrize(('name', 'parsed'), [
    ('a' * 64 + '-96.webp', ('a' * 64, 96)),
    ('a' * 64 + '-97.webp', None),
    ('a' * 64 + '-96.png', None),
    ('A' * 64 + '-96.webp', None),
    ('../' + 'a' * 61 + '-96.webp', None),
    ('a' * 64 + '-96.webp/x', None),
])
def test_only_the_names_of_avatar_files_are_read(name: str, parsed: tuple[str, int] | None) -> None:
    assert avatars.parse_name(name) == parsed
