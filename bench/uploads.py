"""Scenario m (issue 10's "k": the letter k here is issue 8's group): scenario a's pair at 20 messages a second, once
alone and once while another account uploads a 10 MB file every second through ``POST /files/upload`` (each upload
started on time whether the one before has finished or not, each with different bytes so that none is stored once
for two). Uploads must never block the event loop: the pair's p99 beside the uploads against its quiet figure.

The uploads come from a process of their own (``bench.uploader``), as raw HTTP requests with the upload token a
page would hand out (signed with the app's secret), as ``q-uploader`` sends them: the bytes as the body, the name
in ``X-File-Name``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

from bench import seed
from bench.load import close_all, open_chats, open_loop, warm_up
from bench.measure import Deliveries
from bench.server import ROOT
from bench.setup import Services, measured, running, world
from bench.usage import cpu_use, named
from chatapp.files.links import FileLinks
from chatapp.services import conversations
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale


async def scenario_m(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    quiet = await _run(services, scale, 'm-quiet', uploads=False)
    busy = await _run(services, scale, 'm', uploads=True)
    row = {**busy, **named('quiet', {key: quiet[key] for key in ('lost', 'duplicated', 'p50_ms', 'p99_ms')})}
    if row['p99_ms'] is not None and quiet['p99_ms']:
        row['p99_vs_quiet'] = round(row['p99_ms'] / quiet['p99_ms'], 2)
    return row


async def _run(services: Services, scale: Scale, label: str, *, uploads: bool) -> Row:
    w = world(services, label)

    def make(runner: ServiceRunner) -> tuple[seed.Pair, int, int]:
        pair, uploader = seed.make_pairs(runner, 1)[0], seed.make_pairs(runner, 1, prefix='up')[0]
        user = runner.run_sync(lambda tx: find_by_username(tx.session, uploader.a))[0]
        assert user is not None and user.id is not None
        info, _ = runner.run_sync(conversations.open_direct, actor_id=user.id, peer_username=uploader.b)
        return pair, user.id, info.conversation_id

    pair, uploader_id, conversation_id = w.seed(make)
    links = FileLinks(w.settings.resolved_secret())
    report: Row = {}
    with running(services, w) as apps:
        url = apps[0].base_url
        deliveries = Deliveries()
        chats = await open_chats([pair], [url], deliveries)
        try:
            await warm_up(chats, deliveries, scale.warmup_messages)
            with measured(services, apps, label), cpu_use(apps[0]) as cpu:
                load = asyncio.create_task(open_loop(chats, deliveries, 20, scale.a_messages, label))
                if uploads:
                    token = links.upload_token(uploader_id, conversation_id, 'bench')
                    report = await _upload_while(load, f'{url}/files/upload?token={token}', scale)
                await load
        finally:
            await close_all(chats)
    return {**deliveries.summary(), **cpu.per_message(len(deliveries.arrived)), **report}


async def _upload_while(load: asyncio.Task[float], url: str, scale: Scale) -> Row:
    """Uploads from another process (``bench.uploader``: a person in a browser of their own) until ``load`` is done,
    then wait for those under way; their count, statuses and times."""
    uploader = await asyncio.create_subprocess_exec(
        sys.executable, '-m', 'bench.uploader', url, str(scale.m_upload_bytes), str(scale.m_uploads_per_second),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert uploader.stdin is not None
    try:
        await asyncio.wait([load])
    finally:
        uploader.stdin.close()
        out, _ = await uploader.communicate()
    if uploader.returncode != 0:
        raise RuntimeError(f'bench.uploader exited with code {uploader.returncode}')
    figures: Row = json.loads(out)
    return figures
