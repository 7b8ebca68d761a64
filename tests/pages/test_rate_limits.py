"""A person going too fast is told so in the page, and what they flooded is not stored. The limits are set small
through the ``CHATAPP_LIMIT_*`` variables the app under test reads, before the ``user`` fixture starts it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.schemas import Relation
from chatapp.security.limiter_redis import RedisLimiter
from chatapp.services import friendships
from chatapp.services.users import find_by_username
from tests.factories import make_user
from tests.pages.helpers import sign_up, signed_in


@pytest.fixture
def limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, app_env: None) -> None:
    """Request it before ``user`` with ``indirect=True``: {'searches': '3/min'} sets ``CHATAPP_LIMIT_SEARCHES``."""
    for name, rates in request.param.items():
        monkeypatch.setenv(f'CHATAPP_LIMIT_{name.upper()}', rates)


async def _search(user: User, text: str) -> None:
    user.find(marker='search-input').clear().type(text)
    user.find(marker='search-submit').click()


@pytest.mark.parametrize('limits', [{'searches': '3/min'}], indirect=True)
async def test_a_search_flood_is_told_to_wait(limits: None, user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    for name in ('bob', 'carol', 'dave', 'erin'):
        make_user(chat.run, name)
    await signed_in(user, 'alice', '/friends')
    for name in ('bob', 'carol', 'dave'):
        await _search(user, name)
        await user.should_see(marker=f'person-{name}')
    await _search(user, 'erin')
    await user.should_see('You are searching too fast. Try again in')
    await user.should_not_see(marker='person-erin')


@pytest.mark.parametrize('limits', [{'friend_requests': '2/min', 'searches': 'off'}], indirect=True)
async def test_a_friend_request_flood_is_told_to_wait_and_not_stored(limits: None, user: User,
                                                                     chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    others = {name: make_user(chat.run, name, display_name=f'Person {name}') for name in ('bob', 'carol', 'dave')}
    await signed_in(user, 'alice', '/friends')
    await _search(user, 'person')
    for name in ('bob', 'carol'):
        await user.should_see(marker=f'search-add-{name}')
        user.find(marker=f'search-add-{name}').click()
        await user.should_see(marker=f'search-requested-{name}')
    user.find(marker='search-add-dave').click()
    await user.should_see('You are changing friendships too fast. Try again in')
    await user.should_see(marker='search-add-dave')
    relation, _ = chat.run.run_sync(friendships.relation, actor_id=alice.id, other_id=others['dave'].id)
    assert relation == Relation.NONE


@pytest.mark.parametrize('limits', [{'searches': '100/min', 'searches_per_address': '3/min'}], indirect=True)
async def test_people_behind_one_address_share_its_budget(limits: None, user: User, create_user: Callable[[], User],
                                                          chat: ChatApp) -> None:
    """The address comes from the page: two browsers on one address (as every simulated one is) share it."""
    for name in ('alice', 'bob', 'carol'):
        make_user(chat.run, name)
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/friends')
    await _search(alice, 'bob')
    await alice.should_see(marker='person-bob')
    await _search(alice, 'carol')
    await alice.should_see(marker='person-carol')
    await signed_in(bob, 'bob', '/friends')
    await _search(bob, 'alice')
    await bob.should_see(marker='person-alice')
    await _search(bob, 'carol')
    await bob.should_see('You are searching too fast. Try again in')
    await bob.should_not_see(marker='person-carol')


@pytest.mark.parametrize('limits', [{'signups_per_address': '1/h'}], indirect=True)
async def test_signups_from_one_address_are_told_to_wait(limits: None, user: User, create_user: Callable[[], User],
                                                         chat: ChatApp) -> None:
    await sign_up(user, 'alice')
    other = create_user()
    await other.open('/signup')
    await other.should_see(marker='signup-username')
    other.find(marker='signup-username').type('bob')
    other.find(marker='signup-password').type('correct horse battery staple')
    other.find(marker='signup-submit').click()
    await other.should_see('Too many accounts were created from your network. Try again in')
    await other.should_not_see(marker='whoami')
    assert chat.run.run_sync(lambda tx: find_by_username(tx.session, 'bob'))[0] is None



@pytest.fixture
def redis_env(app_env: None, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the app with Redis under a prefix of this test's own (request before ``user``)."""
    monkeypatch.setenv('CHATAPP_REDIS_URL', redis_url)
    monkeypatch.setenv('CHATAPP_REDIS_PREFIX', f'test-{uuid.uuid4().hex[:12]}')


@pytest.mark.parametrize('limits', [{'searches': '1/min'}], indirect=True)
async def test_with_redis_the_app_counts_in_redis(limits: None, redis_env: None, user: User, chat: ChatApp,
                                                  redis_url: str) -> None:
    alice = make_user(chat.run, 'alice')
    make_user(chat.run, 'bob')
    assert chat.run.limits is not None and isinstance(chat.run.limits.limiter, RedisLimiter)
    await signed_in(user, 'alice', '/friends')
    await _search(user, 'bob')
    await user.should_see(marker='person-bob')
    await _search(user, 'bob')
    await user.should_see('You are searching too fast. Try again in')
    client = redis.Redis.from_url(redis_url)
    try:
        key = f'{chat.settings.redis_prefix}:limits:searches:user:{alice.id}'
        assert client.exists(key)
        client.delete(*client.scan_iter(f'{chat.settings.redis_prefix}:limits:*'))
    finally:
        client.close()
