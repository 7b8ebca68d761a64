"""The file feature's parts that one process holds (``ChatApp.files``): the store, the link signer, the registry of
pages waiting for uploads, the limits, and the threads that decode pictures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from chatapp.files import images
from chatapp.files.links import FileLinks
from chatapp.files.store import FileStore, LocalFileStore
from chatapp.files.waiting import Waiting
from chatapp.settings import Settings

MIB = 1 << 20
T = TypeVar('T')
PICTURE_THREADS = 2
"""Pictures decoded at once: each can hold a few hundred MB while it is decoded, so a burst of uploads queues here
instead of taking the memory of all of them at once (and two threads keep two cores busy at most)."""


@dataclass
class Files:
    store: FileStore
    links: FileLinks
    spool_dir: Path
    """Where uploads are written while they arrive (the store's own temporary folder when it is local)."""
    max_upload_bytes: int
    waiting: Waiting = field(default_factory=Waiting)
    _pictures: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        max_workers=PICTURE_THREADS, thread_name_prefix='chatapp-pictures'))

    @classmethod
    def for_settings(cls, settings: Settings) -> Files:
        """Blobs in ``data_dir/files``, links signed with the app's secret."""
        store = LocalFileStore(settings.data_dir / 'files')
        return cls(store=store, links=FileLinks(settings.resolved_secret()), spool_dir=store.incoming,
                   max_upload_bytes=settings.max_upload_mb * MIB)

    async def process_picture(self, path: Path, image_format: str) -> images.Picture:
        """``images.process`` on the picture threads (never on the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(self._pictures, images.process, path, image_format)

    async def on_picture_threads(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the picture threads: avatars (``chatapp.files.avatar_parts``) are decoded there too, so
        one bound holds the memory of all decoding."""
        return await asyncio.get_running_loop().run_in_executor(self._pictures, fn, *args)

    def close(self) -> None:
        """Stop the picture threads (at application shutdown)."""
        self._pictures.shutdown(wait=False, cancel_futures=True)
