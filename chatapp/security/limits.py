"""Named rate limits on what a person can repeat cheaply: sending messages, friendship changes, searches, sign-ups.

A service function is marked with ``@limited('messages')``; ``ServiceRunner.__call__`` looks the mark up and, before
the function gets a worker thread or a database connection, checks the rule for the acting account (``actor_id``)
and for the client address of the page that asked. A refusal raises ``Throttled``, whose message the page shows.
``run_sync`` (tests, seeding) is never limited: limits are for what people do through the pages.

The client address travels in a context variable that the pages set around their call (``from_address``), because
``ServiceRunner.__call__`` passes its keywords straight to the service function and mypy checks them against its
signature: an extra ``address=`` keyword there would have to be taken out again and would lose that check.
Each asyncio task has its own context, so two pages acting at once never see each other's address.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from chatapp.errors import Throttled
from chatapp.security.limiter import Check, Limiter, MemoryLimiter, Rate, parse_rates

if TYPE_CHECKING:
    from chatapp.settings import Settings

RuleName = Literal['messages', 'friend_requests', 'friend_answers', 'searches', 'signups', 'group_changes',
                   'uploads', 'avatars']
RULE_NAMES: frozenset[str] = frozenset(get_args(RuleName))
REFUSALS: dict[RuleName, str] = {
    'messages': 'You are sending messages too fast.',
    'friend_requests': 'You are changing friendships too fast.',
    'friend_answers': 'You are answering friend requests too fast.',
    'searches': 'You are searching too fast.',
    'signups': 'Too many accounts were created from your network.',
    'group_changes': 'You are changing groups too fast.',
    'uploads': 'You are uploading too fast. Wait a moment and try again.',
    'avatars': 'You are changing your profile picture too often.',
}
MARK = '__chatapp_limit__'
IPV6_PREFIX = 64
"""One IPv6 host is usually given a whole /64: counting its addresses one by one would let it pick a fresh one."""

F = TypeVar('F', bound=Callable[..., Any])

client_address: ContextVar[str | None] = ContextVar('chatapp_client_address', default=None)
"""The address of the client whose page makes the current service call; None when no page does (tests, tools)."""


@dataclass(frozen=True)
class Rule:
    """What a marked call must stay within, per account and per client address (no rates: not limited)."""

    refusal: str
    per_account: tuple[Rate, ...]
    per_address: tuple[Rate, ...]


class Limits:
    """The named rules of this app on one limiter (in memory, or in Redis shared by every process)."""

    def __init__(self, rules: Mapping[RuleName, Rule], limiter: Limiter) -> None:
        self.rules = rules
        self.limiter = limiter

    async def check(self, name: RuleName, *, actor_id: int | None, address: str | None) -> None:
        """Count one call of rule ``name`` for the account and for the address, or raise ``Throttled`` (then
        nothing is counted). A missing actor or address is not limited for that part: the address is missing only
        when no page made the call."""
        rule = self.rules[name]
        checks: list[Check] = []
        if rule.per_account and actor_id is not None:
            checks.append((f'{name}:user:{actor_id}', rule.per_account))
        if rule.per_address and address:
            checks.append((f'{name}:addr:{address_key(address)}', rule.per_address))
        if not checks:
            return
        wait = await self.limiter.hit(checks)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise Throttled(f'{rule.refusal} Try again in {duration(seconds)}.', retry_after=seconds)

    async def close(self) -> None:
        await self.limiter.close()


def limited(rule: RuleName) -> Callable[[F], F]:
    """Mark a service function as limited by ``rule``; the function itself is returned unchanged, so a direct call
    (``run_sync``) costs nothing extra."""
    if rule not in RULE_NAMES:
        raise ValueError(f'unknown rate limit rule {rule!r}')

    def mark(fn: F) -> F:
        setattr(fn, MARK, rule)
        return fn

    return mark


def rule_of(fn: object) -> RuleName | None:
    """The rule ``fn`` is marked with, if any."""
    return getattr(fn, MARK, None)


@contextmanager
def from_address(address: str | None) -> Iterator[None]:
    """Service calls made inside come from ``address`` (a page's ``client.ip``)."""
    token = client_address.set(address)
    try:
        yield
    finally:
        client_address.reset(token)


def make_limits(settings: Settings) -> Limits:
    """The rules from ``settings``, counted in Redis when it is configured (so they hold across processes), else in
    this process's memory."""
    limiter: Limiter
    if settings.redis_url:
        from chatapp.security.limiter_redis import RedisLimiter

        limiter = RedisLimiter(settings.redis_url, prefix=settings.redis_prefix)
    else:
        limiter = MemoryLimiter()
    return Limits(rules_from(settings), limiter)


def rules_from(settings: Settings) -> dict[RuleName, Rule]:
    def rule(name: RuleName, per_account: str, per_address: str) -> Rule:
        return Rule(REFUSALS[name], parse_rates(per_account), parse_rates(per_address))

    return {
        'messages': rule('messages', settings.limit_messages, settings.limit_messages_per_address),
        'friend_requests': rule('friend_requests', settings.limit_friend_requests,
                                settings.limit_friend_requests_per_address),
        'friend_answers': rule('friend_answers', settings.limit_friend_answers,
                               settings.limit_friend_answers_per_address),
        'searches': rule('searches', settings.limit_searches, settings.limit_searches_per_address),
        'signups': rule('signups', 'off', settings.limit_signups_per_address),
        'group_changes': rule('group_changes', settings.limit_group_changes,
                              settings.limit_group_changes_per_address),
        'uploads': rule('uploads', settings.limit_uploads, settings.limit_uploads_per_address),
        'avatars': rule('avatars', settings.limit_avatars, settings.limit_avatars_per_address),
    }


@lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """The address as counted: IPv4 (also when mapped into IPv6) as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]  # not an IP (a test client's name, a Unix socket): count it as given
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def duration(seconds: int) -> str:
    """``seconds`` as a person reads a wait: '1 second', '45 seconds', '3 minutes', '2 hours'."""
    for unit, size in (('hour', 3600), ('minute', 60)):
        if seconds >= 2 * size:
            amount = math.ceil(seconds / size)
            return f'{amount} {unit}s'
    return f'{seconds} second' + ('' if seconds == 1 else 's')
