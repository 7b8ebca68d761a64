"""The janitor on each backend: blobs that no row names go (once they are old enough), blobs a row names stay."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator

from chatapp.files import Files
from chatapp.files.janitor import Janitor
from chatapp.files.store import blob_name
from chatapp.services import attachments, deletion
from chatapp.services.tx import ServiceRunner
from tests.factories import PASSWORD, make_group, make_user


async def test_blobs_go_when_no_row_names_them(services: ServiceRunner) -> None:
    files = Files.for_settings(services.deps.settings)
    janitor = Janitor(files, services)
    ada, bea = make_user(services, 'ada'), make_user(services, 'bea')
    group = make_group(services, ada, [bea]).conversation_id

    async def stored(owner_id: int, content: bytes) -> str:
        sha = hashlib.sha256(content).hexdigest()
        await files.store.write(blob_name(sha), _once(content))
        await services(attachments.record_upload, actor_id=owner_id, conversation_id=group, sha256=sha,
                       kind='file', mime='application/octet-stream', filename='f.bin', size=len(content))
        return sha

    shared = await stored(ada.id, b'shared')
    await stored(bea.id, b'shared')
    own = await stored(ada.id, b'only ada')
    orphan = hashlib.sha256(b'orphan').hexdigest()
    await files.store.write(blob_name(orphan), _once(b'orphan'))
    await files.store.write(blob_name(orphan, 'thumb'), _once(b'thumb'))
    leftover = files.store.incoming / 'upload-dead'  # type: ignore[attr-defined]
    leftover.write_bytes(b'half an upload')
    os.utime(leftover, (time.time() - 2 * 86400,) * 2)

    first = await janitor.tidy()
    assert (first.blobs, first.leftovers) == (0, 1)  # every blob is younger than the grace period
    assert not leftover.exists()
    assert (await janitor.tidy(grace_seconds=0)).blobs == 2
    assert not await files.store.exists(blob_name(orphan)) and not await files.store.exists(blob_name(orphan, 'thumb'))
    assert await files.store.exists(blob_name(own)) and await files.store.exists(blob_name(shared))

    await services(deletion.delete_account, actor_id=ada.id, password=PASSWORD, client_key='203.0.113.5')
    assert (await janitor.tidy(grace_seconds=0)).blobs == 1
    assert not await files.store.exists(blob_name(own))
    assert await files.store.exists(blob_name(shared))  # bea's row still names it
    files.close()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
