"""Times shown in the browser's own time zone, learnt once per browser and kept in ``app.storage.user``."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nicegui import Client

from chatapp.clock import as_utc

ZONE = 'timezone'
ASK_BROWSER = 'return Intl.DateTimeFormat().resolvedOptions().timeZone'


def zone_of(storage: dict[str, Any]) -> tzinfo:
    """The browser's zone when known (and valid), else UTC."""
    name = storage.get(ZONE)
    if isinstance(name, str):
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    return UTC


async def learn_zone(client: Client, storage: dict[str, Any]) -> None:
    """Ask the browser for its IANA zone name (again on each login, for travellers); keep it only if Python knows
    that zone (never trust the page)."""
    with contextlib.suppress(Exception):  # no answer (no browser, a slow one) just leaves times in UTC
        name = await client.run_javascript(ASK_BROWSER, timeout=5)
        if isinstance(name, str) and len(name) < 64:
            ZoneInfo(name)
            storage[ZONE] = name


def stamp(moment: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """'14:05' for today, '3 Mar 14:05' for another day of this year, '3 Mar 2025 14:05' before; UTC is said."""
    local = as_utc(moment).astimezone(zone)
    today = (now or datetime.now(UTC)).astimezone(zone)
    suffix = ' UTC' if zone is UTC else ''
    if local.date() == today.date():
        return f'{local:%H:%M}{suffix}'
    if local.year == today.year:
        return f'{local.day} {local:%b %H:%M}{suffix}'
    return f'{local.day} {local:%b %Y %H:%M}{suffix}'
