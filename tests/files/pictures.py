"""Pictures for the file tests, made with Pillow: a phone photo with everything a phone writes into it, and pictures
that lie about their size."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms, PngImagePlugin

MARKER = b'SECRET-MARKER-42'
"""Written into every kind of metadata the photo carries: it must not appear in anything we serve."""
GPS = {1: 'N', 2: (52.0, 31.0, 12.0), 3: 'E', 4: (13.0, 24.0, 0.0)}
"""Berlin: the GPSInfo IFD (latitude and longitude with their hemispheres)."""


def phone_photo(width: int = 1200, height: int = 800, *, profile: bool = False) -> bytes:
    """A JPEG shot sideways (EXIF orientation 6: the viewer turns it upright), with GPS, a camera description, XMP,
    a comment, and a colour profile if asked (converting the colours makes a new image, which hides whether the
    metadata would have been dropped without it)."""
    image = Image.linear_gradient('L').resize((width, height)).convert('RGB')
    exif = Image.Exif()
    exif[0x010E] = f'{MARKER.decode()} description'  # ImageDescription
    exif[0x0110] = f'{MARKER.decode()} camera'  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to show
    exif[0x8825] = GPS  # GPSInfo
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes() if profile else None
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=90, exif=exif, comment=MARKER + b' comment',
               xmp=b'<x:xmpmeta>' + MARKER + b' xmp</x:xmpmeta>', icc_profile=icc)
    return out.getvalue()


def png(width: int = 64, height: int = 48, *, text: bytes = b'') -> bytes:
    """A real PNG, with a text chunk when ``text`` is given."""
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text('Comment', text.decode())
    out = io.BytesIO()
    Image.new('RGBA', (width, height), (10, 200, 30, 128)).save(out, 'PNG', pnginfo=info)
    return out.getvalue()


def animated_gif(frames: int = 4, size: int = 60) -> bytes:
    images = [Image.new('RGB', (size, size), (40 * n, 0, 255 - 40 * n)) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(out, 'GIF', save_all=True, append_images=images[1:], duration=80, loop=0,
                   comment=MARKER + b' gif comment')
    return out.getvalue()


def bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header declares ``width`` x ``height`` pixels: decoding it
    would take width x height x 3 bytes of memory (30 GB by default)."""
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b'\x00' * 4096, 9)
    return b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', header) + _chunk(b'IDAT', pixels) + _chunk(b'IEND', b'')


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
