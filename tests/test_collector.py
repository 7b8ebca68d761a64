"""The garbage collector's pauses are logged when slow, once however often the watch is installed."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Iterator

import pytest

from chatapp import collector


@pytest.fixture
def watched() -> Iterator[None]:
    collector.watch_collections()
    collector.watch_collections()
    yield
    gc.callbacks.remove(collector._time_collection)
    gc.unfreeze()  # a slow full collection froze its survivors: the rest of the suite needs its collector whole


def test_a_slow_collection_is_logged_once(watched: None, caplog: pytest.LogCaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert gc.callbacks.count(collector._time_collection) == 1
    monkeypatch.setattr(collector, 'SLOW_SECONDS', -1.0)  # every collection counts as slow
    with caplog.at_level(logging.WARNING, logger='chatapp.collector'):
        gc.collect()
    assert [r.getMessage() for r in caplog.records if 'garbage collection (generation 2' in r.getMessage()]


def test_a_quick_collection_is_not(watched: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger='chatapp.collector'):
        gc.collect(0)
    assert not caplog.records


def test_a_collection_of_the_older_generations_freezes_what_survived(watched: None) -> None:
    gc.unfreeze()
    survivor = [object()]
    gc.collect(0)
    assert gc.get_freeze_count() == 0  # the youngest generation's collections leave the generations alone
    gc.collect(1)
    assert gc.get_freeze_count() > 0
    assert all(survivor is not obj for obj in gc.get_objects())  # frozen: no longer walked by collections


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_sweeper_frees_frozen_cycles_once_enough_pages_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, 'SWEEP_AFTER_CLOSED_MIN', 3)
    monkeypatch.setattr(collector, 'SWEEP_AFTER_CLOSED_PER_OPEN', 2)
    cycle = weakref.ref(_Cycle())
    gc.freeze()
    try:
        sweeper = collector.Sweeper()
        sweeper.page_closed(open_pages=2)  # 1 closed against 2 open: 4 needed
        sweeper.page_closed(open_pages=2)
        sweeper.page_closed(open_pages=2)
        gc.collect()
        assert cycle() is not None and sweeper.sweeps == 0  # frozen: a collection does not see it
        sweeper.page_closed(open_pages=2)
        assert cycle() is None and sweeper.sweeps == 1 and sweeper.closed == 0
    finally:
        gc.unfreeze()


async def test_the_young_generations_are_collected_on_a_clock_whatever_the_count_says(
        watched: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython's own trigger is off here, as it effectively is when old objects die as fast as new ones are made."""
    monkeypatch.setattr(collector, 'YOUNG_EVERY', 0.01)
    gc.unfreeze()
    gc.disable()
    young = collector.YoungCollections()
    try:
        cycle = weakref.ref(_Cycle())
        survivor = [object()]
        young.start()
        young.start()  # idempotent: one clock
        for _ in range(200):
            await asyncio.sleep(0.01)
            if young.ticks >= 2:
                break
        assert cycle() is None  # the young garbage was collected
        assert gc.get_freeze_count() > 0 and all(survivor is not obj for obj in gc.get_objects())  # survivors frozen
        young.stop()
        ticks = young.ticks
        await asyncio.sleep(0.05)
        assert young.ticks == ticks
    finally:
        young.stop()
        gc.enable()
        gc.unfreeze()
