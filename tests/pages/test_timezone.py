"""Message times in the browser's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pages.timezone import ZONE, stamp, zone_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(('moment', 'zone', 'expected'), [
    (datetime(2026, 11, 25, 9, 5, tzinfo=UTC), UTC, '09:05 UTC'),
    (datetime(2026, 11, 25, 9, 5, tzinfo=UTC), ZoneInfo('Europe/Berlin'), '10:05'),
    (datetime(2026, 11, 24, 23, 30, tzinfo=UTC), ZoneInfo('Europe/Berlin'), '00:30'),  # already today in Berlin
    (datetime(2026, 3, 3, 14, 5), UTC, '3 Mar 14:05 UTC'),  # naive, as SQLite returns it: UTC
    (datetime(2025, 3, 3, 14, 5, tzinfo=UTC), ZoneInfo('America/New_York'), '3 Mar 2025 09:05'),
])
def test_stamp(moment: datetime, zone: ZoneInfo, expected: str) -> None:
    assert stamp(moment, zone, now=NOW) == expected


@pytest.mark.parametrize(('stored', 'expected'), [
    ({}, UTC),
    ({ZONE: 'Europe/Berlin'}, ZoneInfo('Europe/Berlin')),
    ({ZONE: 'Not/AZone'}, UTC),
    ({ZONE: '../../etc/passwd'}, UTC),
    ({ZONE: 42}, UTC),
])
def test_zone_of_trusts_only_known_zones(stored: dict, expected: object) -> None:
    assert zone_of(stored) == expected
