"""Which processes hold a page of whom: the route table that lets the Redis broker send each event only to them.

Keys (``{p}`` is the app's Redis prefix):

- ``{p}:route:{user_id}``: a sorted set of the processes that hold a view of this person, each scored with the time
  (ms, Redis's clock) until which its entry is valid. A process renews its entries every third of the TTL, one
  script call per 1,000 people; the key expires with its latest entry, so a dead process's entries go by themselves.

An event is published by one script call (``ROUTE_PUBLISH``): it reads the valid entries of every recipient and
PUBLISHes the payload once to each process found, on ``{p}:proc:{process}``. A person nobody holds costs a lookup
and nothing more; a process holding none of the recipients hears nothing.

Routes are kept apart from presence (``{p}:presence:user:{id}``), which looks alike: presence follows connected
sockets with a grace and registers in the background, while a route must exist *before* a page's first read from
the database and must last as long as the page's views are attached (a page whose socket dropped still catches up
through its views). A route lost (expired during a stall, gone with a Redis restart, never registered because Redis
was away) is found by the next renewal, which registers it again and reports the people whose views must resync.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)
BATCH = 1000
"""People per renewal call: one call stays a few milliseconds of Redis time."""
Lost = Callable[[frozenset[int]], Awaitable[None]]
"""``lost(user_ids)``: these people's events may have gone elsewhere; their views must catch up."""

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
# KEYS: route keys of the recipients. ARGV: payload, channel prefix. Returns how many processes it was sent to.
ROUTE_PUBLISH = _NOW + """
local seen, count = {}, 0
for i = 1, #KEYS do
  for _, process in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')) do
    if not seen[process] then
      seen[process] = true
      count = count + 1
      redis.call('PUBLISH', ARGV[2] .. process, ARGV[1])
    end
  end
end
return count
"""
# KEYS: route keys. ARGV: process, ttl ms, user ids... Registers or renews each entry; returns the ids whose entry was
# missing or expired (events may have gone elsewhere meanwhile). Expired entries of other processes are pruned. The
# key may expire with this entry: every other entry was last renewed no later than now, so (with the same TTL in
# every process) none outlives it. Most people are on one process: then there is nothing to prune.
_RENEW = _NOW + """
local ttl, lost = tonumber(ARGV[2]), {}
for i = 1, #KEYS do
  local score = redis.call('ZSCORE', KEYS[i], ARGV[1])
  if not score or tonumber(score) <= now then lost[#lost + 1] = ARGV[i + 2] end
  if redis.call('ZCARD', KEYS[i]) > 1 then redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return lost
"""


class Routes:
    """This process's entries in the route table: held people are registered (``hold`` waits for it), released ones
    removed, all renewed in the background; lost entries come back and are reported to ``lost``."""

    def __init__(self, redis: Redis, *, prefix: str, process: str, ttl: float, lost: Lost) -> None:
        self.ttl = ttl
        self.process = process
        self._base = f'{prefix}:route'
        self._redis = redis
        self._ttl_ms = max(1, round(ttl * 1000))
        self._lost = lost
        self._renew = redis.register_script(_RENEW)
        self._wanted: set[int] = set()
        """People with a view attached in this process."""
        self._registered: set[int] = set()
        """People whose entry this process wrote and has not seen lost (follows ``_wanted``, one task per person)."""
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None

    def key(self, user_id: int) -> str:
        """The sorted set of processes that hold ``user_id``."""
        return f'{self._base}:{user_id}'

    async def hold(self, user_id: int) -> None:
        """Route ``user_id``'s events here; return once they are (or once registering failed: the renewal then
        registers them and reports them lost, so their views catch up). Never raises."""
        self._wanted.add(user_id)
        if user_id in self._registered and user_id not in self._tasks:
            return
        await asyncio.shield(self._reconcile_soon(user_id))

    def release(self, user_id: int) -> None:
        """Stop routing ``user_id``'s events here (in the background; a stale entry only costs wasted deliveries)."""
        self._wanted.discard(user_id)
        if user_id in self._registered:
            self._reconcile_soon(user_id)

    def holds(self, user_id: int) -> bool:
        """Whether ``user_id`` is held here (for tests and metrics)."""
        return user_id in self._wanted

    async def settled(self) -> None:
        """Wait until every change asked so far has reached Redis (for tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values())

    async def renew(self) -> frozenset[int]:
        """Register or renew every held person's entry now; returns those whose entry had been lost (missing or
        expired), whose events may have gone elsewhere. Raises ``RedisError`` when Redis cannot be reached."""
        people = sorted(user for user in self._wanted if user not in self._tasks)  # a task in flight settles its own
        lost: set[int] = set()
        for start in range(0, len(people), BATCH):
            batch = people[start:start + BATCH]
            lost.update(_ints(await self._renew(keys=[self.key(user) for user in batch],
                                                args=[self.process, self._ttl_ms, *batch])))
            self._registered.update(user for user in batch if user in self._wanted)
        self._registered &= self._wanted | set(self._tasks)  # released people's entries expire by themselves
        return frozenset(lost & self._wanted)

    async def start(self) -> None:
        """Renew in the background every third of the TTL; idempotent."""
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._renew_forever(), name='chatapp-routes')

    async def stop(self) -> None:
        """Stop renewing. Entries are left to expire: a process that stops holds nothing anyone needs."""
        tasks = [task for task in (self._loop, *self._tasks.values()) if task is not None]
        self._loop = None
        for task in tasks:
            while not task.done():  # see RedisBroker.stop: a cancellation can be swallowed in a handshake
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            if not task.cancelled():
                task.exception()
        self._registered.clear()  # after a new start, the first renewal registers them again and has them resync

    def _reconcile_soon(self, user_id: int) -> asyncio.Task[None]:
        task = self._tasks.get(user_id)
        if task is None:  # a running task re-reads the wish before it ends
            task = self._tasks[user_id] = asyncio.create_task(self._reconcile(user_id), name=f'route {user_id}')
        return task

    async def _reconcile(self, user_id: int) -> None:
        key = self.key(user_id)
        try:
            while (wanted := user_id in self._wanted) != (user_id in self._registered):
                if wanted:
                    await self._renew(keys=[key], args=[self.process, self._ttl_ms, user_id])
                    self._registered.add(user_id)
                else:
                    await self._redis.zrem(key, self.process)  # an emptied sorted set is deleted by Redis
                    self._registered.discard(user_id)
        except Exception as error:
            log.warning('route of user %d not updated (%s); the next renewal retries', user_id, error)
        finally:
            del self._tasks[user_id]  # no await since the last check of the wish, so no change is missed

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                lost = await self.renew()
            except Exception as error:
                log.warning('routes not renewed (%s); retrying in %.1f s', error, self.ttl / 3)
                continue
            if lost:
                log.warning('%d routes to this process were lost; their views catch up', len(lost))
                await self._lost(lost)


def _ints(values: Any) -> list[int]:
    return [int(value) for value in values]
