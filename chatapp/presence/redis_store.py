"""Presence shared by several processes through Redis, expiring when a process stops vouching for its people.

Keys (``{p}`` is the app's Redis prefix):

- ``{p}:presence:user:{id}``: a sorted set of the processes that have this person online, each scored with the time
  (ms, Redis's clock) until which it vouches. Processes renew their entries every third of the TTL, all in one
  script call per 1,000 people.
- ``{p}:presence:index``: every person with a set above, scored with the latest expiry among its entries, so that a
  sweep finds the people whose processes all died with one range query.

Every change is one Lua script, so "was anyone else online?" and "is anyone still online?" are answered atomically
and each transition is reported to exactly one process. Times come from Redis (``TIME``), never from the processes'
clocks, which may disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from chatapp.presence.store import PresenceStore

SOCKET_TIMEOUT = 5.0
"""Seconds to connect or to answer, so that a dead server fails a call instead of hanging presence."""
BATCH = 1000
"""People per script call: one call stays a few milliseconds of Redis time."""

_PRELUDE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- After a person's set changed: the index keeps its latest expiry and the key lives a TTL past it; an empty set goes.
-- Returns 1 when the set is kept, 0 when this call removed the person from the index, -1 when they were not in it.
local function settle(key, index, uid, ttl)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('DEL', key)
    return redis.call('ZREM', index, uid) == 1 and 0 or -1
  end
  redis.call('ZADD', index, top[2], uid)
  redis.call('PEXPIREAT', key, tonumber(top[2]) + ttl)
  return 1
end
"""
# KEYS: person, index. ARGV: process, ttl ms, person id. Returns 1 when nobody had them online before.
_COME_ONLINE = _PRELUDE + """
local now, ttl = now_ms(), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
settle(KEYS[1], KEYS[2], ARGV[3], ttl)
return before == 0 and 1 or 0
"""
# KEYS: person, index. ARGV: process, ttl ms, person id. Returns 1 when this call left nobody having them online.
_GO_OFFLINE = _PRELUDE + """
local now = now_ms()
local removed = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if settle(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[2])) == 1 then return 0 end
return removed > 0 and 1 or 0
"""
# KEYS: index, persons... ARGV: process, ttl ms, person ids... Returns the ids this process had no entry for.
_REFRESH = _PRELUDE + """
local now, ttl, lost = now_ms(), tonumber(ARGV[2]), {}
for i = 2, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
    settle(KEYS[i], KEYS[1], ARGV[i + 1], ttl)
  else
    lost[#lost + 1] = ARGV[i + 1]
  end
end
return lost
"""
# KEYS: index. ARGV: limit. The ids whose latest expiry has passed.
_DUE = _PRELUDE + """
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[1]))
"""
# KEYS: index, persons... ARGV: ttl ms, person ids... Returns the ids this call found with nobody online and removed.
_CLAIM = _PRELUDE + """
local now, ttl, gone = now_ms(), tonumber(ARGV[1]), {}
for i = 2, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if settle(KEYS[i], KEYS[1], ARGV[i], ttl) == 0 then gone[#gone + 1] = ARGV[i] end
end
return gone
"""
# KEYS: persons... Returns 1 or 0 for each: whether an entry is still valid.
_ONLINE = _PRELUDE + """
local now, out = now_ms(), {}
for i = 1, #KEYS do out[i] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') end
return out
"""


class RedisPresenceStore(PresenceStore):
    """See the module docstring. ``ttl``: seconds an entry lives without renewal."""

    def __init__(self, url: str, *, prefix: str = 'chatapp', ttl: float = 30.0) -> None:
        self.ttl = ttl
        self.refresh_interval = ttl / 3
        self.process = uuid.uuid4().hex[:16]
        self._ttl_ms = max(1, round(ttl * 1000))
        self._base = f'{prefix}:presence'
        self.index = f'{self._base}:index'
        # No I/O here: the client connects lazily, in the event loop that first uses it.
        self._redis = Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                     client_name=f'{prefix}:presence',
                                     retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        self._come_online = self._redis.register_script(_COME_ONLINE)
        self._go_offline = self._redis.register_script(_GO_OFFLINE)
        self._refresh = self._redis.register_script(_REFRESH)
        self._due = self._redis.register_script(_DUE)
        self._claim = self._redis.register_script(_CLAIM)
        self._online = self._redis.register_script(_ONLINE)

    def key(self, user_id: int) -> str:
        """The sorted set of processes that have ``user_id`` online."""
        return f'{self._base}:user:{user_id}'

    async def come_online(self, user_id: int) -> bool:
        return bool(await self._come_online(keys=[self.key(user_id), self.index],
                                            args=[self.process, self._ttl_ms, user_id]))

    async def go_offline(self, user_id: int) -> bool:
        return bool(await self._go_offline(keys=[self.key(user_id), self.index],
                                           args=[self.process, self._ttl_ms, user_id]))

    async def online(self, user_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for batch in _batches(sorted(set(user_ids))):
            counts = await self._online(keys=[self.key(user_id) for user_id in batch])
            found.update(user_id for user_id, count in zip(batch, counts, strict=True) if count)
        return found

    async def refresh(self, user_ids: Collection[int]) -> set[int]:
        lost: set[int] = set()
        for batch in _batches(sorted(user_ids)):
            missing = await self._refresh(keys=[self.index, *map(self.key, batch)],
                                          args=[self.process, self._ttl_ms, *batch])
            lost.update(_ints(missing))
        return lost

    async def sweep(self) -> list[int]:
        gone: list[int] = []
        while True:
            due = _ints(await self._due(keys=[self.index], args=[BATCH]))
            if due:
                gone += _ints(await self._claim(keys=[self.index, *map(self.key, due)], args=[self._ttl_ms, *due]))
            if len(due) < BATCH:
                return gone

    async def close(self) -> None:
        await self._redis.aclose()


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + BATCH] for start in range(0, len(ids), BATCH)]


def _ints(values: Any) -> list[int]:
    return [int(value) for value in values]
