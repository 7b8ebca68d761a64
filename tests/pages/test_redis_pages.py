"""The pages on the Redis broker: the same live delivery as with the in-process one."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.broker.redis import RedisBroker
from tests.factories import make_friends, make_user
from tests.pages.helpers import send, signed_in, wait_for_message


@pytest.fixture
def redis_app_env(app_env: None, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``tests/main.py`` with ``CHATAPP_REDIS_URL`` (request before ``user``)."""
    monkeypatch.setenv('CHATAPP_REDIS_URL', redis_url)
    monkeypatch.setenv('CHATAPP_REDIS_PREFIX', f'test-{uuid.uuid4().hex[:12]}')


async def test_chat_over_redis(redis_app_env: None, user: User, create_user: Callable[[], User],
                               chat: ChatApp) -> None:
    assert isinstance(chat.broker, RedisBroker)
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/chat/bob')
    await signed_in(bob, 'bob', '/chat/alice')
    await send(alice, 'over redis')
    await wait_for_message(bob, 'over redis')
    await send(bob, 'and back')
    await wait_for_message(alice, 'and back')
