"""The sweep of closed pages (``pages.release``) looks at every pending task in slices, letting the loop run between
them; a task that starts while it looks must still be looked at, or the sweep could clear the objects of a page that
a running coroutine of page code still uses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import pages
from pages import release

_HOLDER = 'async def hold(thing, done):\n    await done.wait()\n'


def _page_coroutine_maker() -> Any:
    """A coroutine function whose code counts as page code: the scan looks only at frames of the ``pages`` folder."""
    namespace: dict[str, Any] = {}
    exec(compile(_HOLDER, str(Path(pages.__file__).resolve().parent / 'held.py'), 'exec'), namespace)  # noqa: S102
    return namespace['hold']


async def test_tasks_that_start_during_the_scan_are_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pause of the scan lets a new page task start (holding an object of its own); each of those objects
    is reported busy, through however many passes that takes."""
    monkeypatch.setattr(release, 'SLICE_SECONDS', 1e-5)  # pause at about every 64 tasks
    hold = _page_coroutine_maker()
    done = asyncio.Event()
    crowd = [asyncio.create_task(done.wait()) for _ in range(1000)]
    held: list[object] = []
    tasks: list[asyncio.Task[None]] = []
    scan = asyncio.create_task(release._busy_ids())
    try:
        while not scan.done():
            thing = object()
            held.append(thing)
            tasks.append(asyncio.create_task(hold(thing, done)))
            await asyncio.sleep(0)
        busy = scan.result()
        assert len(held) >= 10  # the scan paused many times
        assert all(id(thing) in busy for thing in held[:-1])  # the last one started after the scan had ended
        assert not any(id(task) in busy for task in crowd)
    finally:
        done.set()
        await asyncio.gather(*crowd, *tasks)
