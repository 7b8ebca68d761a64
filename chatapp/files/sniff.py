"""What an upload is, found from its first bytes: never from its name or from the type the browser claims.

Only the four picture formats every browser shows are picture candidates (they are then decoded with Pillow, which
has the last word); PDF is recognised so that a page can say so; everything else is an opaque download.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 16
"""How much of the start of a file the signatures below need."""
OPAQUE = 'application/octet-stream'


@dataclass(frozen=True)
class Sniffed:
    """``format`` is Pillow's name for a picture candidate, ``None`` for a plain file."""

    mime: str
    format: str | None = None

    @property
    def is_image(self) -> bool:
        return self.format is not None


IMAGE_MIMES = {'JPEG': 'image/jpeg', 'PNG': 'image/png', 'GIF': 'image/gif', 'WEBP': 'image/webp'}


def sniff(head: bytes) -> Sniffed:
    """The type of a file that starts with ``head`` (at least ``HEAD_BYTES`` of it, when the file is that long)."""
    if head.startswith(b'\xff\xd8\xff'):
        return Sniffed(IMAGE_MIMES['JPEG'], 'JPEG')
    if head.startswith(b'\x89PNG\r\n\x1a\n'):
        return Sniffed(IMAGE_MIMES['PNG'], 'PNG')
    if head[:6] in (b'GIF87a', b'GIF89a'):
        return Sniffed(IMAGE_MIMES['GIF'], 'GIF')
    if head[:4] == b'RIFF' and head[8:12] == b'WEBP':
        return Sniffed(IMAGE_MIMES['WEBP'], 'WEBP')
    if head.startswith(b'%PDF-'):
        return Sniffed('application/pdf')
    return Sniffed(OPAQUE)
