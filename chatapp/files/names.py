"""File names as people may see and save them: what the uploader's browser sent, cleaned.

The name is text from a stranger that ends up in another person's download dialog and file system, so it loses
folders (``../../.bashrc``), control and bidi characters (``invoice\u202egpj.exe`` would read as ``invoiceexe.jpg``),
characters Windows refuses, leading dots (hidden files) and anything past a length every file system takes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from models.attachment import FILENAME_MAX

FALLBACK = 'file'
MAX_BYTES = 240
"""UTF-8 bytes a name may take: file systems allow 255, and a browser may add " (1)" to a second copy."""
_DROPPED_CATEGORIES = {'Cc', 'Cf', 'Cs', 'Co', 'Cn', 'Zl', 'Zp'}
"""Controls, formats (bidi overrides, zero-width characters), surrogates, private use, unassigned, line breaks."""
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r'(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?', re.IGNORECASE)
_SPACES = re.compile(r'\s+')
EXTENSIONS = {'JPEG': '.jpg', 'PNG': '.png', 'GIF': '.gif', 'WEBP': '.webp'}


def clean_filename(raw: str, *, image_format: str | None = None) -> str:
    """A safe name for ``raw`` (never empty). A picture's name gets the extension of what it really is: a JPEG sent
    as ``photo.heic`` is saved as ``photo.jpg``."""
    name = unicodedata.normalize('NFC', raw.replace('\\', '/')).rsplit('/', 1)[-1]
    name = ''.join(' ' if char.isspace() else char for char in name
                   if unicodedata.category(char) not in _DROPPED_CATEGORIES or char.isspace())
    name = _SPACES.sub(' ', _WINDOWS_FORBIDDEN.sub('_', name)).strip(' .')
    if image_format is not None:
        name = (PurePosixPath(name).stem if '.' in name else name).strip(' .') or 'picture'
        name += EXTENSIONS[image_format]
    if not name:
        name = FALLBACK
    if _WINDOWS_RESERVED.fullmatch(name):
        name = '_' + name
    return _shorten(name)


def _shorten(name: str) -> str:
    """``name`` cut to ``MAX_BYTES`` of UTF-8 and ``FILENAME_MAX`` characters, keeping a short extension."""
    stem, dot, extension = name.rpartition('.')
    if not dot or not stem or len(extension) > 10:
        stem, extension = name, ''
    suffix = f'.{extension}' if extension else ''
    room = MAX_BYTES - len(suffix.encode())
    cut = stem.encode()[:room].decode('utf-8', errors='ignore').rstrip(' .')
    return (cut or FALLBACK)[:FILENAME_MAX - len(suffix)] + suffix
