"""Times shown in the browser's own time zone, learnt on the login and signup pages and kept in ``app.storage.user``
together with the account (see ``pages.identity.remember``)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nicegui import Client, background_tasks

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


class BrowserZone:
    """The IANA zone name the page's browser reports, once it has answered (``name`` stays None until then, or for
    good if it never does or names a zone Python does not know: never trust the page). Asked on every login, for
    travellers; written to the browser's storage together with the login (see ``pages.identity.remember``), or on
    its own if the answer comes after the login."""

    def __init__(self, client: Client) -> None:
        self.name: str | None = None
        self._storage: dict[str, Any] | None = None
        background_tasks.create(self._ask(client), name='learn time zone')

    def keep_in(self, storage: dict[str, Any]) -> dict[str, Any]:
        """The entry to write into ``storage`` with the login: the zone if known and new, else nothing now and the
        zone later, when the browser answers."""
        if self.name is None:
            self._storage = storage
            return {}
        return {ZONE: self.name} if storage.get(ZONE) != self.name else {}

    async def _ask(self, client: Client) -> None:
        with contextlib.suppress(Exception):  # no answer (no browser, a slow one) just leaves times in UTC
            await client.connected()
            name = await client.run_javascript(ASK_BROWSER, timeout=5)
            if isinstance(name, str) and len(name) < 64:
                ZoneInfo(name)
                self.name = name
                if self._storage is not None and self._storage.get(ZONE) != name:
                    self._storage[ZONE] = name


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
