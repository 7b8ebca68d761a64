"""The garbage collector's pauses are logged when slow, once however often the watch is installed."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from chatapp import collector


@pytest.fixture
def watched() -> Iterator[None]:
    collector.warn_about_slow_collections()
    collector.warn_about_slow_collections()
    yield
    gc.callbacks.remove(collector._time_collection)


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
