"""The uploading person of scenario m, in a process of its own: ``python -m bench.uploader URL BYTES PER_SECOND``.

A person uploading a file does it from their own browser, not from the browsers of the pair whose latency is
measured. Run inside the load tool, each 10 MB upload also cost the tool's event loop about 10 ms (copying the body,
writing it to the socket a piece at a time), and that time was counted as the app's latency. Here the uploads
start on time, one every ``1 / PER_SECOND`` s (whether the one before has finished or not, each with different bytes,
so that none is stored once for two), until standard input closes; then those under way finish, and one line of JSON
on standard output gives their count, statuses and times.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import aiohttp

from bench.measure import latency_figures


async def upload_until_closed(url: str, size: int, per_second: float) -> dict[str, object]:
    base = os.urandom(size)
    times: list[float] = []
    statuses: list[int] = []
    stop = asyncio.create_task(_closed(sys.stdin.fileno()))

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        body = n.to_bytes(8, 'big') + base[8:]
        started = time.perf_counter()
        async with session.post(url, data=body, headers={'X-File-Name': f'bench-{n}.bin'}) as response:
            await response.read()
            statuses.append(response.status)
        times.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        while not stop.done():
            tasks.append(asyncio.create_task(one(session, len(tasks))))
            next_at = started + len(tasks) / per_second
            await asyncio.wait([stop], timeout=max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*tasks)
    return {'uploads': len(statuses), 'uploads_ok': statuses.count(200), 'upload_mb': size / 1e6,
            **{f'upload_{key}': value for key, value in latency_figures(sorted(times)).items()}}


async def _closed(fd: int) -> None:
    """Until ``fd`` reaches its end (the tool closes the pipe when its load is done)."""
    await asyncio.to_thread(lambda: os.read(fd, 1))


def main() -> None:
    url, size, per_second = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    print(json.dumps(asyncio.run(upload_until_closed(url, size, per_second))), flush=True)


if __name__ == '__main__':
    main()
