"""An upload's bytes as they arrive: counted, hashed and written to a temporary file, and cut off the moment they
pass the limit.

The count is taken on the event loop for every chunk the server receives (nothing past the limit is ever written:
the browser's own check is no check); the hashing and writing happen a mebibyte at a time on a worker thread, so a
10 MiB upload costs the loop ten short hops instead of 20 ms of hashing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from chatapp.files.sniff import HEAD_BYTES
from chatapp.files.store import CHUNK


class TooLarge(Exception):
    """More bytes arrived than ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f'more than {limit} bytes')
        self.limit = limit


@dataclass(frozen=True)
class Spooled:
    """A complete upload in a temporary file: the caller moves it on or removes it."""

    path: Path
    size: int
    sha256: str
    head: bytes
    """The first bytes, for ``chatapp.files.sniff``."""


async def spool(chunks: AsyncIterable[bytes], folder: Path, limit: int) -> Spooled:
    """Write ``chunks`` to a new private file in ``folder``; ``TooLarge`` as soon as they pass ``limit`` bytes (and
    on any other error) leaves no file behind."""
    file, path = await asyncio.to_thread(_create, folder)
    hasher = hashlib.sha256()
    size, head, pending = 0, b'', bytearray()
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            if len(head) < HEAD_BYTES:
                head = (head + chunk)[:HEAD_BYTES]
            pending += chunk
            if len(pending) >= CHUNK:
                await asyncio.to_thread(_write, file, hasher, bytes(pending))
                pending.clear()
        await asyncio.to_thread(_write, file, hasher, bytes(pending), last=True)
    except BaseException:
        await asyncio.to_thread(_discard, file, path)
        raise
    return Spooled(path, size, hasher.hexdigest(), head)


def _create(folder: Path) -> tuple[BinaryIO, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix='upload-')
    return os.fdopen(fd, 'wb'), Path(name)


def _write(file: BinaryIO, hasher: Any, data: bytes, *, last: bool = False) -> None:
    hasher.update(data)
    file.write(data)
    if last:
        file.flush()
        os.fsync(file.fileno())
        file.close()


def _discard(file: BinaryIO, path: Path) -> None:
    file.close()
    path.unlink(missing_ok=True)
