"""The dashboard's re-reads, alone: never two at once, a burst costs one more, the last starts after the last request.

The job here is a fake read that waits for the test to let it finish, so the test decides the order in which runs
end; no timing is involved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import pytest

from pages.coalescer import Coalescer


class Job:
    """A read that logs its start and end and finishes only when the test opens its gate."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gates: list[asyncio.Event] = []
        self.running = 0
        self.most_at_once = 0
        self.fail_next: Exception | None = None
        self._started: asyncio.Queue[int] = asyncio.Queue()
        self._ended: asyncio.Queue[int] = asyncio.Queue()

    async def __call__(self) -> None:
        number = len(self.gates)
        self.gates.append(asyncio.Event())
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self.log.append(f'start {number}')
        self._started.put_nowait(number)
        try:
            await self.gates[number].wait()
            if self.fail_next is not None:
                error, self.fail_next = self.fail_next, None
                raise error
        finally:
            self.running -= 1
            self.log.append(f'end {number}')
            self._ended.put_nowait(number)

    async def started(self) -> int:
        return await self._started.get()

    async def ended(self) -> int:
        return await self._ended.get()

    async def finish(self, number: int) -> None:
        """Let run ``number`` end and wait until the loop has moved on (to its next run, or to rest)."""
        self.gates[number].set()
        assert await self.ended() == number

    def request(self, coalescer: Coalescer) -> None:
        self.log.append('request')
        coalescer.request()


async def test_a_burst_during_a_run_costs_one_more_run_that_starts_after_the_burst() -> None:
    job = Job()
    reloads = Coalescer(job)
    job.request(reloads)
    assert await job.started() == 0
    for _ in range(10):
        job.request(reloads)
    await job.finish(0)
    assert await job.started() == 1
    await job.finish(1)
    assert job.log == ['request', 'start 0', *['request'] * 10, 'end 0', 'start 1', 'end 1']
    assert job.most_at_once == 1


async def test_runs_never_overlap_and_the_last_run_starts_after_the_last_request() -> None:
    job = Job()
    reloads = Coalescer(job)
    for number in range(5):  # requests keep arriving while each run is going
        job.request(reloads)
        assert await job.started() == number
        job.request(reloads)
        await job.finish(number)
    await job.finish(await job.started())
    assert job.most_at_once == 1
    last_request = len(job.log) - 1 - job.log[::-1].index('request')
    last_start = len(job.log) - 1 - next(i for i, entry in enumerate(job.log[::-1]) if entry.startswith('start'))
    assert last_start > last_request, job.log
    assert job.log[-1].startswith('end'), job.log


async def test_run_returns_only_after_a_run_that_started_after_the_call() -> None:
    job = Job()
    reloads = Coalescer(job)
    job.request(reloads)
    assert await job.started() == 0
    waiting = asyncio.create_task(reloads.run())  # run 0 started before this call: it does not count
    await asyncio.sleep(0)
    await job.finish(0)
    assert not waiting.done()
    assert await job.started() == 1
    await job.finish(1)
    await waiting
    first = asyncio.create_task(reloads.run())  # with nothing going, the caller's own run answers it
    assert await job.started() == 2
    await job.finish(2)
    await first


async def test_a_failed_run_is_raised_to_its_callers_and_the_next_request_runs_again(
        caplog: pytest.LogCaptureFixture) -> None:
    job = Job()
    reloads = Coalescer(job)
    job.fail_next = RuntimeError('read failed')
    waiting = asyncio.create_task(reloads.run())
    assert await job.started() == 0
    await job.finish(0)
    with pytest.raises(RuntimeError, match='read failed'):
        await waiting

    job.fail_next = RuntimeError('nobody waits')
    with caplog.at_level(logging.ERROR, logger='pages.coalescer'):
        job.request(reloads)
        assert await job.started() == 1
        await job.finish(1)
    assert [record.message for record in caplog.records] == ['coalesced job failed']
    caplog.clear()

    again = asyncio.create_task(reloads.run())
    assert await job.started() == 2
    await job.finish(2)
    await again


async def test_callers_of_a_cancelled_loop_do_not_wait_for_ever() -> None:
    job = Job()
    tasks: list[asyncio.Task[None]] = []

    def spawn(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(coroutine))
        return tasks[-1]

    reloads = Coalescer(job, spawn=spawn)
    current = asyncio.create_task(reloads.run())
    assert await job.started() == 0
    later = asyncio.create_task(reloads.run())
    await asyncio.sleep(0)
    tasks[0].cancel()  # as NiceGUI cancels background tasks at shutdown
    for caller in (current, later):
        with pytest.raises(asyncio.CancelledError):
            await caller
    assert await job.ended() == 0  # run 0 was cut short
    again = asyncio.create_task(reloads.run())  # a new loop for the next request
    assert await job.started() == 1
    await job.finish(1)
    await again
