"""A closed page gives its memory back (issue 9): a real ``python -m chatapp`` process, 1,000 chat pages opened and
closed by the load tool's socket clients, and the server's RSS afterwards near what it was before.

The app freezes long-lived objects out of the garbage collector's full collections (``chatapp.collector``), so a page
that only a full collection could free would stay in memory for good: closed pages must be freed by reference
counting (``pages.release``) or by the collector's occasional sweep. This checks the sum of it from the outside, the
way an operator sees it. It asserts memory, never a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable
from pathlib import Path

from bench import seed
from bench.person import Person
from bench.server import AppProcess, lifted_limits, random_secret
from bench.tab import Tab
from chatapp.settings import Settings

PAGES = 1000
TABS = 50
"""One browser's tabs: each round every tab loads the chat page anew, which closes its previous page."""
PACE_SECONDS = 2.5
"""A round starts at most this often, so that the pages alive at once (the open ones, and the closed ones NiceGUI
keeps for the reconnect timeout and ``pages.release`` for its grace) stay about as many throughout."""
WARM_ROUNDS = 8
"""Enough rounds for the pages alive at once to reach their steady number (reconnect timeout plus grace)."""
AT_ONCE = 8
MAX_GROWTH = 100 * 2**20
"""What 1,000 closed pages may leave behind: 100 KB a page, a fifth of what an open chat page holds. A page that
stayed in memory would add all of it, each of the 1,000 (without ``pages.release`` the server grew by 269 MB
here)."""


async def test_a_thousand_closed_pages_give_their_memory_back(tmp_path: Path) -> None:
    """RSS is compared at the same point of two rounds, 1,000 pages apart: the allocator keeps what the process
    once held (RSS hardly shrinks), so only a page that is never freed makes it grow from one to the other."""
    settings = Settings(data_dir=tmp_path, database_url=f'sqlite:///{tmp_path / "chatapp.db"}',
                        secret=random_secret(), redis_url=None)
    runner = seed.services(settings)
    try:
        pair = seed.make_pairs(runner, 1)[0]
        seed.make_history(runner, pair, 50)
    finally:
        runner.shutdown()
        runner.engine.dispose()
    app = AppProcess(tmp_path / 'app', lifted_limits() | {'CHATAPP_SECRET': settings.resolved_secret(),
                                                          'CHATAPP_DATABASE_URL': settings.resolved_database_url})
    app.launch()
    try:
        await asyncio.to_thread(app.wait_ready)
        alice = Person(app.base_url, pair.a)
        await alice.open_chat(pair.b)
        tabs = [alice.browser.tab() for _ in range(TABS)]
        chat = f'/chat/{pair.b}'
        await _rounds(tabs, chat, pair.a, WARM_ROUNDS)
        start = app.rss_bytes()
        await _rounds(tabs, chat, pair.a, PAGES // TABS)
        end = app.rss_bytes()
        await _gather(tab.close() for tab in tabs)
        await alice.close()
        log = app.output()
    finally:
        app.stop()

    assert end - start < MAX_GROWTH, (
        f'1,000 pages opened and closed grew the server by {(end - start) / 2**20:.0f} MB '
        f'(RSS {start / 2**20:.0f} MB before, {end / 2**20:.0f} MB after)\n{_tail(log)}')
    assert 'Traceback' not in log, _tail(log)  # a task of a closed page found its objects cleared


async def _rounds(tabs: list[Tab], path: str, account: str, rounds: int) -> None:
    """Every tab loads ``path`` ``rounds`` times, a round every ``PACE_SECONDS`` at most."""
    for _ in range(rounds):
        started = time.monotonic()
        await _gather(_open(tab, path, account) for tab in tabs)
        await asyncio.sleep(max(0.0, started + PACE_SECONDS - time.monotonic()))


async def _open(tab: Tab, path: str, account: str) -> None:
    """Load the chat. A tab that is not signed in (a new one, or one its browser no longer notes) is sent to the
    login page, where it continues as the browser's ``account``."""
    await tab.goto(path)
    await tab.wait_until(lambda page: page.find('message-input') or page.find(f'continue-{account}'),
                         what='the chat or the login page')
    if tab.page is None or tab.page.find('message-input') is None:
        await tab.click(f'continue-{account}')
        await tab.wait_for_path(path)
        await tab.wait_for('message-input')


async def _gather(jobs: Iterable[Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


def _tail(log: str) -> str:
    return '\n'.join(log.splitlines()[-30:])
