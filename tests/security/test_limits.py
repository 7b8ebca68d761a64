"""The limiters: bursts, windows, all-or-nothing checks, and one limit shared by every process through Redis.

The memory limiter runs on a clock the test moves, so its windows are exact. The Redis limiter uses Redis's own
clock: its tests only wait longer than a refill needs (never assert how long anything took).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis
from pydantic import ValidationError

from chatapp.security.limiter import Limiter, MemoryLimiter, Rate, parse_rates
from chatapp.security.limiter_redis import RedisLimiter
from chatapp.security.limits import address_key, duration
from chatapp.settings import Settings

BURST = (Rate(10, 1.0), Rate(120, 60.0))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory(clock: Clock) -> MemoryLimiter:
    return MemoryLimiter(clock)


@pytest.fixture
def prefix() -> str:
    return f'chatapp-test-{uuid.uuid4().hex[:10]}'


@pytest.fixture
async def make_redis(redis_url: str, prefix: str) -> AsyncIterator[Callable[[], RedisLimiter]]:
    """RedisLimiters on one Redis under one fresh prefix, as several processes would have; closed afterwards."""
    made: list[RedisLimiter] = []

    def make() -> RedisLimiter:
        made.append(RedisLimiter(redis_url, prefix=prefix))
        return made[-1]

    yield make
    for limiter in made:
        await limiter.close()
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f'{prefix}:*'):
        client.delete(key)
    client.close()


async def _allowed(limiter: Limiter, key: str, rates: tuple[Rate, ...], tries: int) -> int:
    return sum([await limiter.hit([(key, rates)]) == 0 for _ in range(tries)])


@pytest.mark.parametrize(('text', 'rates'), [
    ('10/s,120/min', (Rate(10, 1), Rate(120, 60))),
    (' 5 / 10s , 50/day ', (Rate(5, 10), Rate(50, 86400))),
    ('3/2h', (Rate(3, 7200),)),
    ('off', ()),
    ('', ()),
])
def test_rates_are_read_from_settings_text(text: str, rates: tuple[Rate, ...]) -> None:
    assert parse_rates(text) == rates


@pytest.mark.parametrize('text', ['10', 'ten/s', '10/fortnight', '0/s', '5/0s', '10/s;5/min', '-1/s', '10/s,'])
def test_a_bad_rate_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match='COUNT/PERIOD'):
        parse_rates(text)
    with pytest.raises(ValidationError, match='limit_messages'):
        Settings(limit_messages=text)


async def test_memory_allows_a_burst_then_one_per_interval(memory: MemoryLimiter, clock: Clock) -> None:
    assert await _allowed(memory, 'k', BURST, 10) == 10
    assert await memory.hit([('k', BURST)]) == pytest.approx(0.1)
    clock.now += 0.1
    assert await _allowed(memory, 'k', BURST, 5) == 1
    clock.now += 1.0
    assert await _allowed(memory, 'k', BURST, 20) == 10


async def test_memory_idle_time_saves_up_no_more_than_the_burst(memory: MemoryLimiter, clock: Clock) -> None:
    assert await _allowed(memory, 'k', BURST, 5) == 5
    clock.now += 3600.0
    assert await _allowed(memory, 'k', BURST, 50) == 10


async def test_memory_refused_calls_do_not_count(memory: MemoryLimiter, clock: Clock) -> None:
    rates = (Rate(2, 10.0),)
    assert await _allowed(memory, 'k', rates, 2) == 2
    assert await _allowed(memory, 'k', rates, 100) == 0  # hammering while refused...
    clock.now += 5.0
    assert await _allowed(memory, 'k', rates, 3) == 1  # ...did not push the refill further out


async def test_memory_long_window_caps_a_steady_flood(memory: MemoryLimiter, clock: Clock) -> None:
    """At 10 a second, the minute rate takes over once its burst of 120 is spent: then 2 a second (120 a minute).
    So the first minute of a flood passes its burst plus a minute's pace (238 here), each later minute 120."""
    per_second = []
    for _ in range(120):
        per_second.append(await _allowed(memory, 'k', BURST, 20))
        clock.now += 1.0
    assert per_second[:10] == [10] * 10
    assert per_second[30:] == [2] * 90
    assert sum(per_second[:60]) == 238 and sum(per_second[60:]) == 120


async def test_memory_check_is_all_or_nothing(memory: MemoryLimiter) -> None:
    account, address = (Rate(5, 60.0),), (Rate(2, 60.0),)
    assert await _allowed(memory, 'address', address, 2) == 2
    assert await memory.hit([('account', account), ('address', address)]) > 0
    assert await _allowed(memory, 'account', account, 10) == 5  # the refused call took nothing from the account


async def test_memory_forgets_keys_whose_window_has_passed(memory: MemoryLimiter, clock: Clock) -> None:
    rates = (Rate(1, 1.0),)
    for number in range(MemoryLimiter.SWEEP_ABOVE):
        await memory.hit([(f'old{number}', rates)])
    clock.now += 2.0
    await memory.hit([('new', rates), ('newer', rates)])
    assert len(memory) == 2


async def test_redis_allows_a_burst_then_refuses(make_redis: Callable[[], RedisLimiter], redis_url: str,
                                                 prefix: str) -> None:
    limiter = make_redis()
    rates = (Rate(3, 60.0),)
    assert await _allowed(limiter, 'k', rates, 3) == 3
    wait = await limiter.hit([('k', rates)])
    assert 0 < wait <= 20  # one interval (60 s / 3) at most
    client = redis.Redis.from_url(redis_url)
    assert client.exists(f'{prefix}:limits:k') and 0 < client.pttl(f'{prefix}:limits:k') <= 60_000
    client.close()


async def test_redis_refills_after_the_interval(make_redis: Callable[[], RedisLimiter]) -> None:
    limiter = make_redis()
    rates = (Rate(2, 4.0),)
    assert await _allowed(limiter, 'k', rates, 3) == 2
    await asyncio.sleep(2.1)  # longer than one interval (2 s): one call's worth is back, not two
    assert await _allowed(limiter, 'k', rates, 3) == 1


async def test_redis_idle_time_saves_up_no_more_than_the_burst(make_redis: Callable[[], RedisLimiter]) -> None:
    limiter = make_redis()
    rates = (Rate(2, 1.0), Rate(10, 60.0))  # the minute's rate keeps the key alive while the second's idles
    assert await _allowed(limiter, 'k', rates, 2) == 2
    await asyncio.sleep(2.0)  # idle for twice the short period
    assert await _allowed(limiter, 'k', rates, 5) == 2


async def test_redis_minute_window_holds_after_the_burst_refills(make_redis: Callable[[], RedisLimiter]) -> None:
    limiter = make_redis()
    rates = parse_rates('3/2s,5/min')
    assert await _allowed(limiter, 'k', rates, 4) == 3
    await asyncio.sleep(2.1)  # the short rate's burst is back, the minute's is not
    assert await _allowed(limiter, 'k', rates, 2) == 2
    assert await limiter.hit([('k', rates)]) > 2  # refused by the minute rate: a wait of about 10 s


async def test_redis_check_is_all_or_nothing(make_redis: Callable[[], RedisLimiter]) -> None:
    limiter = make_redis()
    account, address = (Rate(5, 60.0),), (Rate(2, 60.0),)
    assert await _allowed(limiter, 'address', address, 2) == 2
    assert await limiter.hit([('account', account), ('address', address)]) > 0
    assert await _allowed(limiter, 'account', account, 10) == 5


async def test_two_processes_share_one_limit(make_redis: Callable[[], RedisLimiter]) -> None:
    first, second = make_redis(), make_redis()
    rates = (Rate(5, 60.0),)
    allowed = [await limiter.hit([('k', rates)]) == 0 for _ in range(5) for limiter in (first, second)]
    assert sum(allowed) == 5
    assert await _allowed(make_redis(), 'other', rates, 5) == 5  # another key has its own budget


async def test_concurrent_calls_are_counted_exactly(make_redis: Callable[[], RedisLimiter]) -> None:
    limiters = [make_redis() for _ in range(4)]
    rates = (Rate(7, 60.0),)
    waits = await asyncio.gather(*(limiters[n % 4].hit([('k', rates)]) for n in range(60)))
    assert sum(wait == 0 for wait in waits) == 7


async def test_unreachable_redis_lets_calls_through(caplog: pytest.LogCaptureFixture) -> None:
    """A limiter outage must not stop people from chatting; it is logged instead."""
    limiter = RedisLimiter('redis://127.0.0.1:1/0', prefix='chatapp-test-nowhere')
    with caplog.at_level(logging.WARNING):
        assert await limiter.hit([('k', (Rate(1, 60.0),))]) == 0
        assert await limiter.hit([('k', (Rate(1, 60.0),))]) == 0
    assert [r.message for r in caplog.records].count('rate limits are not enforced: Redis does not answer') == 1
    await limiter.close()


@pytest.mark.parametrize(('address', 'key'), [
    ('203.0.113.9', '203.0.113.9'),
    ('::ffff:203.0.113.9', '203.0.113.9'),
    ('2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'),
    ('2001:db8:1:2:bbbb::2', '2001:db8:1:2::/64'),
    ('testclient', 'testclient'),
])
def test_addresses_are_counted_per_host(address: str, key: str) -> None:
    assert address_key(address) == key


@pytest.mark.parametrize(('seconds', 'text'), [
    (1, '1 second'), (59, '59 seconds'), (119, '119 seconds'), (120, '2 minutes'), (3599, '60 minutes'),
    (7200, '2 hours'), (86399, '24 hours'),
])
def test_waits_read_as_people_say_them(seconds: int, text: str) -> None:
    assert duration(seconds) == text
