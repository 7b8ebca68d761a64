"""Pictures, decoded and drawn anew: what the recipient gets is pixels, without the sender's metadata.

A phone's photo carries EXIF (the GPS position where it was taken, the camera's serial number), XMP and comments.
``process`` decodes the picture with Pillow, turns it upright as its EXIF orientation says, converts its colours to
sRGB when it carries a colour profile, and encodes the pixels again in the same format with no metadata at all; it
also makes a thumbnail (WebP, at most ``THUMB_SIZE`` pixels a side).

It refuses before decoding a picture that declares more than ``MAX_PIXELS`` pixels (a 50 KB PNG can declare 100,000
x 100,000 and would take 40 GB to decode: a decompression bomb), and an animation of more than ``MAX_FRAME_PIXELS``
pixels in all its frames. ``process`` blocks for up to a second or two: callers run it on a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, ImageSequence

from chatapp.files.sniff import IMAGE_MIMES

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000
"""Largest picture decoded: 40 megapixels (a 48 MP phone photo is usually saved at 12 MP; RGBA of 40 MP is 160 MB)."""
MAX_FRAME_PIXELS = 50_000_000
"""Pixels of all frames of an animation together (each frame is held decoded until the animation is encoded)."""
MAX_FRAMES = 1000
THUMB_SIZE = 480
THUMB_MIME = 'image/webp'
_KEPT_INFO = ('transparency',)
"""The only ``info`` entry that is drawing, not metadata: which palette entry is transparent."""
_SRGB = ImageCms.createProfile('sRGB')


class Refused(Exception):
    """Not a picture we show: ``code`` is ``too_many_pixels`` or ``unreadable``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Picture:
    """A picture ready to store: its re-encoded bytes and its thumbnail's."""

    data: bytes
    sha256: str
    """Of ``data``: the name the picture is stored under."""
    thumbnail: bytes
    width: int
    height: int
    mime: str


def process(path: Path, image_format: str) -> Picture:
    """Decode the picture at ``path`` as ``image_format`` (Pillow's name: what ``chatapp.files.sniff`` found) and
    encode it anew without metadata; ``Refused`` when it is too large or cannot be decoded. Blocking."""
    try:
        with Image.open(path, formats=[image_format]) as source:
            frames = _check_size(source)
            if frames > 1:
                frame_list, durations = _frames(source)
                data = _encode_animation(frame_list, durations, source.info.get('loop', 0), image_format)
                first = frame_list[0]
            else:
                source.load()
                first = _clean(to_srgb(ImageOps.exif_transpose(source)))
                data = _encode(first, image_format)
            return Picture(data=data, sha256=hashlib.sha256(data).hexdigest(), thumbnail=_thumbnail(first),
                           width=first.width, height=first.height, mime=IMAGE_MIMES[image_format])
    except Refused:
        raise
    except Image.DecompressionBombError:
        raise Refused('too_many_pixels') from None
    except Exception as error:  # whatever a malformed file makes a decoder raise, it is not a picture we can show
        log.info('could not decode a %s upload: %s', image_format, type(error).__name__)
        raise Refused('unreadable') from None


def _check_size(source: Image.Image) -> int:
    """The number of frames, after refusing a picture or animation too large to decode (read from its header)."""
    pixels = source.width * source.height
    if pixels > MAX_PIXELS or pixels == 0:
        raise Refused('too_many_pixels' if pixels else 'unreadable')
    frames = getattr(source, 'n_frames', 1)
    if frames > 1 and (frames > MAX_FRAMES or pixels * frames > MAX_FRAME_PIXELS):
        raise Refused('too_many_pixels')
    return int(frames)


def _frames(source: Image.Image) -> tuple[list[Image.Image], list[int]]:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(source):
        durations.append(int(frame.info.get('duration', 100)))
        frames.append(_clean(frame.convert('RGBA')))
    return frames, durations


def to_srgb(image: Image.Image) -> Image.Image:
    """``image`` with its colour profile applied (a wide-gamut photo keeps its look without the profile), as RGB(A)
    when it needs converting."""
    profile = image.info.get('icc_profile')
    if image.mode == 'CMYK':
        image = image.convert('RGB') if not profile else image
    if not profile:
        return image
    if image.mode not in ('RGB', 'RGBA', 'CMYK', 'L'):
        image = image.convert('RGBA')
    output = 'RGBA' if image.mode == 'RGBA' else 'RGB' if image.mode == 'CMYK' else image.mode
    try:
        converted = ImageCms.profileToProfile(image, io.BytesIO(profile), _SRGB, outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image.convert('RGB') if image.mode == 'CMYK' else image  # a broken profile: keep the pixels as they are
    assert converted is not None
    return converted


def _clean(image: Image.Image) -> Image.Image:
    """A copy of ``image`` that carries no metadata: only its pixels, its palette and its transparent entry."""
    clean = image.copy()
    clean.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    return clean


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == 'JPEG':
        image = image if image.mode in ('RGB', 'L') else image.convert('RGB')
        image.save(out, 'JPEG', quality=85)
    elif image_format == 'WEBP':
        image = image if image.mode in ('RGB', 'RGBA') else image.convert('RGBA')
        image.save(out, 'WEBP', quality=90)
    elif image_format == 'PNG':
        image = image if image.mode in ('1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'I;16') else image.convert('RGBA')
        image.save(out, 'PNG')
    else:
        image.save(out, image_format)
    return out.getvalue()


def _encode_animation(frames: list[Image.Image], durations: list[int], loop: int, image_format: str) -> bytes:
    out = io.BytesIO()
    options = {'quality': 90} if image_format == 'WEBP' else {'disposal': 2}
    frames[0].save(out, image_format, save_all=True, append_images=frames[1:], duration=durations, loop=loop,
                   **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.convert('RGBA' if _has_alpha(image) else 'RGB')
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb.info = {}
    out = io.BytesIO()
    thumb.save(out, 'WEBP', quality=80)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ('RGBA', 'LA', 'PA') or (image.mode == 'P' and 'transparency' in image.info)
