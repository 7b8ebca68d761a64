"""Where a process records who is online: the interface, and the store for a single process.

A store answers for every process that shares it. A process registers the people whose pages it holds
(``come_online``) and unregisters them after their grace (``go_offline``); each call says whether it was a real
transition for everyone sharing the store, so exactly one process announces each change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection


class PresenceStore(ABC):
    """Shared record of who is online, per process."""

    refresh_interval: float | None = None
    """Seconds between ``refresh`` and ``sweep`` calls the owner must make; ``None``: nothing expires."""

    @abstractmethod
    async def come_online(self, user_id: int) -> bool:
        """Register ``user_id`` for this process; ``True`` when no process had them online before."""

    @abstractmethod
    async def go_offline(self, user_id: int) -> bool:
        """Unregister ``user_id`` for this process; ``True`` when no process has them online any more."""

    @abstractmethod
    async def online(self, user_ids: Collection[int]) -> set[int]:
        """Those of ``user_ids`` some process has online."""

    async def refresh(self, user_ids: Collection[int]) -> set[int]:
        """Renew this process's registrations of ``user_ids``; returns those it no longer had (they expired, and
        another process announced them offline): the owner registers them again."""
        return set()

    async def sweep(self) -> list[int]:
        """People whose every registration expired (their process died), now forgotten: each is returned to one
        sweeping process only, which announces them offline."""
        return []

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryPresenceStore(PresenceStore):
    """One process: a set, nothing expires (the process that would have to vouch is this one)."""

    def __init__(self) -> None:
        self._online: set[int] = set()

    async def come_online(self, user_id: int) -> bool:
        first = user_id not in self._online
        self._online.add(user_id)
        return first

    async def go_offline(self, user_id: int) -> bool:
        was = user_id in self._online
        self._online.discard(user_id)
        return was

    async def online(self, user_ids: Collection[int]) -> set[int]:
        return self._online.intersection(user_ids)

    async def close(self) -> None:
        """Nothing to release."""
