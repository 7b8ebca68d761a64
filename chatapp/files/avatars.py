"""Profile pictures, made from an upload: decoded with the safeguards every picture gets, cut to the centred square,
drawn at each of ``SIZES`` and encoded as WebP without any metadata.

An avatar is named by the SHA-256 of its largest size's bytes (``User.avatar``); each size is stored under that
name in a store of its own (``chatapp.files.avatar_parts``), and served at ``/avatars/<sha256>-<size>.webp``. The
smaller sizes are drawn from the same square, so the name stands for all of them.

As in ``chatapp.files.images``, a picture that declares more than ``images.MAX_PIXELS`` is refused before it is
decoded (a decompression bomb), EXIF orientation is applied and a colour profile converted to sRGB; an animation
keeps its first frame. A large JPEG is decoded at a reduced scale (``draft``): an avatar needs 256 pixels, not 48
megapixels. ``make`` blocks (tens of milliseconds, up to a second for a huge PNG): callers run it on the picture
threads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from chatapp.files import images
from chatapp.files.images import Refused

log = logging.getLogger(__name__)

SIZES = (48, 96, 256)
"""Square sizes in pixels: 48 for lists at 1x, 96 for lists on dense screens and headers, 256 for the profile card."""
LARGEST = SIZES[-1]
MIME = 'image/webp'
MAX_UPLOAD_BYTES = 5 << 20
"""Largest avatar upload (5 MiB): a phone photo fits, and nothing bigger is ever written to disk for a 256-pixel
picture."""
PATH = '/avatars'
_NAME = re.compile(r'([0-9a-f]{64})-(\d{2,3})\.webp')
_QUALITY = 85


@dataclass(frozen=True)
class Avatar:
    """An avatar ready to store: the bytes of each size, and the name they are all stored under."""

    sha256: str
    """Of ``sizes[LARGEST]``."""
    sizes: dict[int, bytes]


def make(path: Path, image_format: str) -> Avatar:
    """The avatar of the picture at ``path`` (Pillow's ``image_format``, as ``chatapp.files.sniff`` found it), or
    ``Refused`` (``too_many_pixels``, ``unreadable``). Blocking."""
    try:
        with Image.open(path, formats=[image_format]) as source:
            pixels = source.width * source.height
            if pixels > images.MAX_PIXELS or pixels == 0:
                raise Refused('too_many_pixels' if pixels else 'unreadable')
            if image_format == 'JPEG':
                source.draft(None, (2 * LARGEST, 2 * LARGEST))  # decodes at 1/2..1/8 scale, never below this
            source.load()
            square = _square(images.to_srgb(ImageOps.exif_transpose(source)))  # the colour rules of pictures
    except Refused:
        raise
    except Image.DecompressionBombError:
        raise Refused('too_many_pixels') from None
    except Exception as error:  # whatever a malformed file makes a decoder raise, it is not a picture we can show
        log.info('could not decode a %s avatar: %s', image_format, type(error).__name__)
        raise Refused('unreadable') from None
    sizes = {size: _encode(square, size) for size in SIZES}
    return Avatar(sha256=hashlib.sha256(sizes[LARGEST]).hexdigest(), sizes=sizes)


def url(sha256: str, size: int) -> str:
    """Where size ``size`` of the avatar ``sha256`` is served (public: see docs/security.md, "Avatars")."""
    if size not in SIZES:
        raise ValueError(f'no avatar size {size}')
    return f'{PATH}/{sha256}-{size}.webp'


def parse_name(name: str) -> tuple[str, int] | None:
    """``(sha256, size)`` of a served file name ``<sha256>-<size>.webp``; ``None`` for anything else."""
    match = _NAME.fullmatch(name)
    if match is None or int(match.group(2)) not in SIZES:
        return None
    return match.group(1), int(match.group(2))


def _square(image: Image.Image) -> Image.Image:
    """The centred square of ``image`` (the middle of a portrait's height is usually the face's row, a landscape's
    middle its subject), in RGB or RGBA: only those two modes encode to WebP as they are."""
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    alpha = square.mode in ('RGBA', 'LA', 'PA') or (square.mode == 'P' and 'transparency' in square.info)
    return square.convert('RGBA' if alpha else 'RGB')


def _encode(square: Image.Image, size: int) -> bytes:
    """``square`` at ``size`` x ``size`` (scaled up when smaller: every size exists for every avatar), as WebP with
    nothing but pixels: WebP's encoder writes EXIF, XMP or a profile only when asked, and ``info`` is emptied too."""
    drawn = square.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    drawn.info = {}
    out = io.BytesIO()
    drawn.save(out, 'WEBP', quality=_QUALITY)
    return out.getvalue()
