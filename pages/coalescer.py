"""Coalesced re-reads: one run of a job at a time, and a burst of requests costs at most one more run.

A view that re-reads its data whenever an event arrives must not start one read per event: reads run in parallel
on the service threads and may finish in any order, so an older read finishing after a newer one would leave the page
showing a state that is no longer true. ``Coalescer`` runs the job in one loop instead. A request made while a run is
going marks the job dirty, and the loop runs it once more after the current run, so the last run always starts after
the last request and no two runs overlap. It knows nothing of NiceGUI: the view passes the way to start a task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
Spawn = Callable[[Coroutine[Any, Any, None]], 'asyncio.Task[None]']


class Coalescer:
    """Runs ``job`` on request, never two runs at once, every request followed by a run that starts after it."""

    def __init__(self, job: Callable[[], Awaitable[None]], *, spawn: Spawn = asyncio.create_task) -> None:
        self._job = job
        self._spawn = spawn
        self._dirty = False
        self._running = False
        self._task: asyncio.Task[None] | None = None  # a strong reference: asyncio keeps only weak ones
        self._waiting: list[asyncio.Future[None]] = []  # callers of run() whose run has not started yet
        self._current: list[asyncio.Future[None]] = []  # callers of run() that the current run answers

    def request(self) -> None:
        """Ask for a run and do not wait for it (an event handler that must not hold up the others)."""
        self._dirty = True
        if not self._running:
            self._running = True
            self._task = self._spawn(self._loop())

    async def run(self) -> None:
        """Ask for a run and wait until one that started after this call has finished; its failure is raised here."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self.request()
        await done

    async def _loop(self) -> None:
        try:
            while self._dirty:
                self._dirty = False
                self._current, self._waiting = self._waiting, []
                try:
                    await self._job()
                except Exception as error:
                    if not self._current:
                        log.exception('coalesced job failed')  # nobody waits for this run to raise it to
                    _settle(self._current, error)
                else:
                    _settle(self._current, None)
                self._current = []
        finally:
            # Only a cancelled loop (at shutdown) leaves callers here: they must not wait for ever.
            for done in self._current + self._waiting:
                done.cancel()
            self._current, self._waiting = [], []
            self._running = False


def _settle(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for done in futures:
        if done.done():  # its caller was cancelled meanwhile
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
