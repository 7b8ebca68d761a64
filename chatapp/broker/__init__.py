"""Event fan-out: in-process by default, Redis pub/sub when ``CHATAPP_REDIS_URL`` is set (imported only then)."""

from chatapp.broker.base import Broker, EventHandler, ResyncHandler
from chatapp.broker.memory import MemoryBroker


def make_broker(redis_url: str | None, prefix: str = 'chatapp') -> Broker:
    """The broker the settings ask for."""
    if redis_url:
        from chatapp.broker.redis import RedisBroker

        return RedisBroker(redis_url, prefix=prefix)
    return MemoryBroker()


__all__ = ['Broker', 'EventHandler', 'MemoryBroker', 'ResyncHandler', 'make_broker']
