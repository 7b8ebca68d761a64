"""The avatar feature's parts that one process holds (``ChatApp.avatars``): one blob store per size, the upload
token signer, the pages waiting for their uploads, and the sweep that removes pictures nobody shows any more.

Each size has a store of its own (``data_dir/avatars/<size>``), where an avatar's file is named by its hash
(``User.avatar``): the name rules of ``chatapp.files.store`` hold, and the attachments' janitor, which removes every
blob of ``data_dir/files`` that no attachment names, never sees an avatar.

A replaced or removed picture's files go at once when no account shows it any more (``discard``), except files
written in the last ``GRACE_SECONDS``: another account may be uploading the same picture right now (its files are
written before its row). What that leaves, and the pictures of deleted accounts, go with the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from chatapp.files import avatars
from chatapp.files.avatar_tokens import AvatarTokens, AvatarWaiting
from chatapp.files.parts import Files
from chatapp.files.store import Blob, FileStore, LocalFileStore
from chatapp.services import profiles
from chatapp.services.tx import ServiceRunner
from chatapp.settings import Settings

log = logging.getLogger(__name__)

GRACE_SECONDS = 120.0
"""A file written this recently may belong to an upload whose row is not committed yet: it stays."""
SWEEP_SECONDS = 3600.0
FIRST_SWEEP_SECONDS = 90.0
LEFTOVER_SECONDS = 3600.0
"""A temporary file this old was left by a process that died while writing (an avatar takes milliseconds)."""


@dataclass
class Avatars:
    stores: dict[int, FileStore]
    tokens: AvatarTokens
    files: Files
    """For the spool folder and the picture threads, shared with attachments."""
    waiting: AvatarWaiting = field(default_factory=AvatarWaiting)
    _task: asyncio.Task[None] | None = None

    @classmethod
    def for_settings(cls, settings: Settings, files: Files) -> Avatars:
        root = settings.data_dir / 'avatars'
        return cls(stores={size: LocalFileStore(root / str(size)) for size in avatars.SIZES},
                   tokens=AvatarTokens(settings.resolved_secret()), files=files)

    async def make(self, path: Path, image_format: str) -> avatars.Avatar:
        """``avatars.make`` on the picture threads (never on the event loop); ``images.Refused`` as it raises."""
        return await self.files.on_picture_threads(avatars.make, path, image_format)

    async def save(self, avatar: avatars.Avatar) -> None:
        """Store every size (again: writing an existing avatar renews its files' age)."""
        for size, data in avatar.sizes.items():
            await self.stores[size].write(avatar.sha256, _once(data))

    async def open(self, sha256: str, size: int) -> Blob | None:
        return await self.stores[size].open(sha256)

    async def discard(self, sha256: str | None, run: ServiceRunner) -> None:
        """Remove the files of ``sha256`` (a picture just replaced or removed) unless an account still shows it."""
        if sha256 is None:
            return
        shown = await run(profiles.avatars_in_use, hashes=[sha256])
        if shown:
            return
        for store in self.stores.values():
            await store.delete(sha256, unused_for=GRACE_SECONDS)

    async def sweep(self, run: ServiceRunner, *, grace_seconds: float = GRACE_SECONDS) -> int:
        """Remove every avatar's files that no account shows (tests call it with ``grace_seconds=0``); how many
        avatars went."""
        names: set[str] = set()
        for store in self.stores.values():
            names.update(await store.names_unused_since(grace_seconds))
        unused = names - await run(profiles.avatars_in_use, hashes=names) if names else set()
        for name in unused:
            for store in self.stores.values():
                await store.delete(name, unused_for=grace_seconds)
        for store in self.stores.values():
            await store.remove_leftovers(LEFTOVER_SECONDS)
        if unused:
            log.info('avatars: removed %d that nobody shows', len(unused))
        return len(unused)

    def start(self, run: ServiceRunner) -> None:
        """Start the sweeps (at start-up; idempotent, as start-up can run twice under test)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._sweeps(run), name='avatar sweep')

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _sweeps(self, run: ServiceRunner) -> None:
        await asyncio.sleep(FIRST_SWEEP_SECONDS)
        while True:
            try:
                await self.sweep(run)
            except Exception:  # a database or disk hiccup: the next sweep tries again
                log.warning('avatars: the sweep failed', exc_info=True)
            await asyncio.sleep(SWEEP_SECONDS)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
