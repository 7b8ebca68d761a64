"""Scenario v: what a browser's first visit costs the server, its page and NiceGUI's files together.

The other scenarios load pages as a browser with a warm cache does: the HTML and the socket, never the scripts and
styles the HTML names. A browser that comes for the first time (scenario g's logins are new browsers) also fetches
those, about 1 MB uncompressed in 11 requests for the login page; they are cached for a year afterwards. Here each
visit is a new browser (its own cookie jar) that loads ``/login`` and then every ``/_nicegui/`` file the page names,
four visits at a time, as Chromium fetches them (gzip accepted). Reported: the server's CPU a visit, the requests a
visit, and the wall time of a visit.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

import aiohttp

from bench.measure import latency_figures
from bench.setup import Services, running, world
from bench.usage import cpu_use, named

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

ASSET = re.compile(r'(?:src|href)="(/_nicegui/[^"]+)"')
AT_ONCE = 4


async def scenario_v(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    w = world(services, 'v')
    times: list[float] = []
    requests: list[int] = []
    with running(services, w) as apps:
        url = apps[0].base_url
        await _visit(url)  # the first ever: anything the server builds once is not what a visit costs
        gate = asyncio.Semaphore(AT_ONCE)

        async def visit() -> None:
            async with gate:
                started = time.perf_counter()
                requests.append(await _visit(url))
                times.append((time.perf_counter() - started) * 1000)

        with cpu_use(apps[0]) as cpu:
            await asyncio.gather(*(visit() for _ in range(scale.v_visits)))
    return {'visits': len(times), 'requests_per_visit': max(requests),
            'server_cpu_ms_per_visit': round(cpu.server * 1000 / len(times), 2),
            **named('visit', latency_figures(sorted(times)))}


async def _visit(url: str) -> int:
    """A new browser loads the login page and the files it names; returns how many requests that took."""
    async with aiohttp.ClientSession() as browser:  # asks for gzip, as browsers do
        async with browser.get(f'{url}/login') as response:
            html = await response.text()
        paths = list(dict.fromkeys(ASSET.findall(html)))
        for path in paths:
            async with browser.get(url + path) as response:
                if response.status != 200:
                    raise RuntimeError(f'{path}: HTTP {response.status}')
                await response.read()
        return 1 + len(paths)
