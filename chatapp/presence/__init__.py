"""Who is online: pages counted per person in each process (``PresenceTracker``), shared through a store (one
process: ``MemoryPresenceStore``; several: ``RedisPresenceStore``, imported only when used)."""

from chatapp.presence.store import MemoryPresenceStore, PresenceStore
from chatapp.presence.tracker import Announce, PresenceTracker


def make_store(redis_url: str | None, *, prefix: str = 'chatapp', ttl: float = 30.0) -> PresenceStore:
    """The store the settings ask for."""
    if redis_url:
        from chatapp.presence.redis_store import RedisPresenceStore

        return RedisPresenceStore(redis_url, prefix=prefix, ttl=ttl)
    return MemoryPresenceStore()


__all__ = ['Announce', 'MemoryPresenceStore', 'PresenceStore', 'PresenceTracker', 'make_store']
