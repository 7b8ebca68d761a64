"""The limiter every process shares: the same GCRA as ``MemoryLimiter``, run as one Lua script in Redis.

One script call is one round trip and runs atomically, so concurrent calls from any number of processes are counted
exactly. Time is Redis's own clock (``TIME``): processes whose clocks disagree still agree on the limits. Each key is
a hash ``{prefix}:limits:{key}`` holding one arrival time per rate (microseconds), expiring when it no longer
matters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from chatapp.security.limiter import Check, Limiter

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 1.0
"""Seconds to connect or to answer: a limit check sits in front of every send, so a hung Redis must fail fast."""
WARN_EVERY = 30.0
"""Seconds between warnings while Redis cannot be reached: one per call would flood the log during an outage."""

# KEYS: one hash per key. ARGV: for each key, its number of rates, then (interval, period) per rate, in microseconds.
# Arrival times are whole microseconds (exact in a double until the year 2255); string.format('%d') keeps them
# exact in the hash, where a Lua number printed with its default format would lose digits. Microseconds, not
# milliseconds, so that a rate above 1,000 a second (a load test's) keeps its interval.
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait, at, plans = 0, 1, {}
for k = 1, #KEYS do
  local n = tonumber(ARGV[at]); at = at + 1
  local fields, stored = {}, {}
  for r = 1, n do fields[r] = r end
  if n > 0 then stored = redis.call('HMGET', KEYS[k], unpack(fields)) end
  local plan, horizon = {}, 1
  for r = 1, n do
    local interval, period = tonumber(ARGV[at]), tonumber(ARGV[at + 1]); at = at + 2
    local arrival = math.max(tonumber(stored[r]) or now, now) + interval
    wait = math.max(wait, arrival - now - period)
    horizon = math.max(horizon, arrival - now)
    plan[2 * r - 1] = r
    plan[2 * r] = string.format('%d', arrival)
  end
  plans[k] = {plan, horizon}
end
if wait > 0 then return wait end
for k = 1, #KEYS do
  if #plans[k][1] > 0 then
    redis.call('HSET', KEYS[k], unpack(plans[k][1]))
    redis.call('PEXPIRE', KEYS[k], string.format('%d', math.ceil(plans[k][2] / 1000)))
  end
end
return 0
"""


class RedisLimiter(Limiter):
    """Limits that hold across every process on one Redis.

    When Redis cannot answer, the call is let through (and a warning logged): an outage of the limiter must not
    stop people from chatting, and the broker on the same Redis is failing then anyway."""

    def __init__(self, url: str, *, prefix: str = 'chatapp') -> None:
        self.prefix = f'{prefix}:limits:'
        # No I/O here: the client connects lazily, in the event loop that first uses it.
        self._redis = Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                     client_name=f'{prefix}:limits',
                                     # A pooled connection that died while idle is replaced once, at once.
                                     retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        self._script = self._redis.register_script(GCRA)
        self._warned_at = -WARN_EVERY

    async def hit(self, checks: Sequence[Check]) -> float:
        keys: list[str] = []
        args: list[int] = []
        for key, rates in checks:
            keys.append(self.prefix + key)
            args.append(len(rates))
            for rate in rates:
                args += [max(1, round(rate.interval * 1e6)), round(rate.seconds * 1e6)]
        try:
            wait = await self._script(keys=keys, args=args)
        except RedisError:
            self._warn()
            return 0.0
        return int(wait) / 1e6

    async def close(self) -> None:
        await self._redis.aclose()

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning('rate limits are not enforced: Redis does not answer', exc_info=True)
