"""Where the bytes of pictures and files live: a blob store addressed by content hash.

``FileStore`` is what the rest of the app uses; ``LocalFileStore`` keeps blobs in the data folder. An object-store
backend (S3 and the like) implements the same few methods. A blob's name is the SHA-256 of the stored bytes in hex,
and a picture's thumbnail is stored beside it as ``<sha256>.thumb`` (it is made from those bytes, so the name still
says what it holds): the same picture sent twice is stored once, and a row names its blobs by its ``sha256``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
"""Bytes read or written per step (one thread hop each): 10 MiB is ten steps."""
_NAME = re.compile(r'[0-9a-f]{64}(\.thumb)?')


def blob_name(sha256: str, variant: str = 'full') -> str:
    """The name of a row's blob: ``variant`` ``full`` is the file itself, ``thumb`` a picture's thumbnail."""
    name = sha256 if variant == 'full' else f'{sha256}.{variant}'
    if not _NAME.fullmatch(name):
        raise ValueError(f'not a blob name: {name!r}')
    return name


@dataclass
class Blob:
    """A stored blob being read: its size, then its bytes."""

    size: int
    chunks: AsyncIterator[bytes]


class FileStore(ABC):
    """Blobs by name (``blob_name``). Writing a name that exists keeps the stored blob (same name, same bytes) and
    counts as a fresh use of it for ``names_unused_since``."""

    @abstractmethod
    async def write(self, name: str, chunks: AsyncIterable[bytes]) -> None:
        """Store the bytes of ``chunks`` as ``name``; visible only once complete. If ``chunks`` raises, nothing is
        kept."""

    async def write_file(self, name: str, path: Path) -> None:
        """Store the local file ``path`` as ``name``, taking it over (``path`` is gone afterwards)."""
        try:
            await self.write(name, read_chunks(path))
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    @abstractmethod
    async def open(self, name: str) -> Blob | None:
        """The blob ``name``, or ``None`` when there is none."""

    @abstractmethod
    async def exists(self, name: str) -> bool: ...

    @abstractmethod
    async def delete(self, name: str, *, unused_for: float = 0) -> None:
        """Remove ``name`` (nothing happens when it is not there); with ``unused_for``, only if it was not written
        in that many seconds (the janitor: an upload may have written it again since it looked)."""

    @abstractmethod
    async def total_size(self) -> int:
        """Bytes of all blobs (for operators and tests)."""

    @abstractmethod
    async def names_unused_since(self, seconds: float) -> list[str]:
        """Blobs written (or written again) more than ``seconds`` ago: what the janitor may remove when no row
        names them. Younger ones may belong to an upload whose row is not committed yet."""

    @abstractmethod
    async def remove_leftovers(self, seconds: float) -> int:
        """Remove temporary files older than ``seconds`` (a process that died mid-upload left them); their count."""


class LocalFileStore(FileStore):
    """Blobs as files under ``root`` (``data_dir/files``), fanned out by their first two hex digits; written to a
    temporary file in ``root/.incoming`` and renamed into place only when complete (a rename within one file
    system is atomic: a reader sees the whole blob or none). Every file operation runs on a worker thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / '.incoming'
        """Temporary files, on the same file system as the blobs (``os.replace`` needs that)."""

    async def write(self, name: str, chunks: AsyncIterable[bytes]) -> None:
        target = self._path(name)
        file, temporary = await asyncio.to_thread(self._temporary)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(file.write, chunk)
            await asyncio.to_thread(_finish, file)
            await asyncio.to_thread(_place, temporary, target)
        except BaseException:
            await asyncio.to_thread(_discard, file, temporary)
            raise

    async def write_file(self, name: str, path: Path) -> None:
        """A local file in ``incoming`` (a spooled upload) is renamed into place: no copy."""
        if path.parent != self.incoming:
            await super().write_file(name, path)
            return
        await asyncio.to_thread(_place, path, self._path(name))

    def new_temporary(self) -> tuple[BinaryIO, Path]:
        """An empty private file in ``incoming`` for the caller to fill (blocking: call it on a thread)."""
        return self._temporary()

    async def open(self, name: str) -> Blob | None:
        try:
            file = await asyncio.to_thread(self._path(name).open, 'rb')
        except FileNotFoundError:
            return None
        size = os.fstat(file.fileno()).st_size
        return Blob(size, _chunks_of(file))

    async def exists(self, name: str) -> bool:
        return await asyncio.to_thread(self._path(name).is_file)

    async def delete(self, name: str, *, unused_for: float = 0) -> None:
        await asyncio.to_thread(_delete, self._path(name), unused_for)

    async def total_size(self) -> int:
        return sum(size for _, size, _ in await asyncio.to_thread(self._scan))

    async def names_unused_since(self, seconds: float) -> list[str]:
        cutoff = time.time() - seconds
        return [name for name, _, modified in await asyncio.to_thread(self._scan) if modified < cutoff]

    async def remove_leftovers(self, seconds: float) -> int:
        return await asyncio.to_thread(self._remove_leftovers, time.time() - seconds)

    def _remove_leftovers(self, cutoff: float) -> int:
        removed = 0
        for path in self.incoming.glob('*') if self.incoming.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValueError(f'not a blob name: {name!r}')
        return self.root / name[:2] / name

    def _temporary(self) -> tuple[BinaryIO, Path]:
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=self.incoming, prefix='blob-')
        return os.fdopen(fd, 'wb'), Path(path)

    def _scan(self) -> list[tuple[str, int, float]]:
        """(name, size, modification time) of every blob."""
        found = []
        for folder in self.root.glob('[0-9a-f][0-9a-f]'):
            for entry in os.scandir(folder):
                if _NAME.fullmatch(entry.name):
                    with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                        stat = entry.stat()
                        found.append((entry.name, stat.st_size, stat.st_mtime))
        return found


async def read_chunks(path: Path) -> AsyncIterator[bytes]:
    """The bytes of the local file ``path``, ``CHUNK`` at a time, each read on a worker thread."""
    file = await asyncio.to_thread(path.open, 'rb')
    async for chunk in _chunks_of(file):
        yield chunk


async def _chunks_of(file: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk
    finally:
        file.close()


def _finish(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())  # the bytes are on disk before the name is: a crash leaves no empty blob
    file.close()


def _place(temporary: Path, target: Path) -> None:
    """Rename ``temporary`` to ``target``; when ``target`` exists it has the same bytes: keep it, renew its age."""
    try:
        os.utime(target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)
    else:
        temporary.unlink(missing_ok=True)


def _delete(path: Path, unused_for: float) -> None:
    with contextlib.suppress(FileNotFoundError):
        if not unused_for or path.stat().st_mtime < time.time() - unused_for:
            path.unlink()


def _discard(file: BinaryIO, temporary: Path) -> None:
    file.close()
    temporary.unlink(missing_ok=True)
