"""Removes what nobody may see any more: every ``ROUND_SECONDS``, the rows of uploads never sent and of deleted
messages (``attachments.remove_stale``; a deleted account's rows went with the account), then every blob that no row
names, then temporary files a dead process left behind.

A blob is only removed when it has not been written for ``BLOB_GRACE_SECONDS``: an upload writes its blob before it
records its row, so a young blob without a row may be an upload in flight, and writing a blob again renews its age.
Each process runs its own rounds; two at once remove the same things, which is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from chatapp.files.parts import Files
from chatapp.services import attachments
from chatapp.services.tx import ServiceRunner

log = logging.getLogger(__name__)

ROUND_SECONDS = 3600.0
FIRST_ROUND_SECONDS = 60.0
"""After start-up: a restart loop must not make a round each time, and starting stays quick."""
BLOB_GRACE_SECONDS = 3600.0
LEFTOVER_SECONDS = 86400.0


@dataclass(frozen=True)
class Round:
    """What one round removed."""

    rows: int
    blobs: int
    leftovers: int


class Janitor:
    def __init__(self, files: Files, run: ServiceRunner) -> None:
        self.files = files
        self.run = run
        self._task: asyncio.Task[None] | None = None

    async def tidy(self, *, grace_seconds: float = BLOB_GRACE_SECONDS) -> Round:
        """One round (tests call it with ``grace_seconds=0``)."""
        store = self.files.store
        rows = await self.run(attachments.remove_stale)
        names = await store.names_unused_since(grace_seconds)
        used = await self.run(attachments.hashes_in_use, hashes={name[:64] for name in names})
        unused = [name for name in names if name[:64] not in used]
        for name in unused:
            await store.delete(name, unused_for=grace_seconds)
        leftovers = await store.remove_leftovers(LEFTOVER_SECONDS)
        if rows or unused or leftovers:
            log.info('files: removed %d attachments, %d blobs, %d leftovers', rows, len(unused), leftovers)
        return Round(rows, len(unused), leftovers)

    def start(self) -> None:
        """Start the rounds (at application start-up; idempotent, as start-up can run twice under test)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._rounds(), name='files janitor')

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _rounds(self) -> None:
        await asyncio.sleep(FIRST_ROUND_SECONDS)
        while True:
            try:
                await self.tidy()
            except Exception:  # a database or disk hiccup: the next round tries again
                log.warning('files: the janitor round failed', exc_info=True)
            await asyncio.sleep(ROUND_SECONDS)
