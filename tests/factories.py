"""Test data made through the real services, never by writing rows directly."""

from __future__ import annotations

from chatapp.schemas import UserPublic
from chatapp.services import accounts, friendships
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username

PASSWORD = 'correct horse battery staple'


def make_user(services: ServiceRunner, username: str, *, display_name: str = '',
              password: str = PASSWORD) -> UserPublic:
    """A signed-up account."""
    user, _ = services.run_sync(accounts.signup, username=username, password=password, display_name=display_name)
    return user


def make_friends(services: ServiceRunner, a: UserPublic, b: UserPublic) -> None:
    """``a`` asks, ``b`` accepts."""
    services.run_sync(friendships.send_request, actor_id=a.id, target_id=b.id)
    services.run_sync(friendships.accept_request, actor_id=b.id, requester_id=a.id)


def user_named(services: ServiceRunner, username: str) -> UserPublic:
    """The account with ``username`` (made through the pages, say)."""
    user = services.run_sync(lambda tx: find_by_username(tx.session, username))[0]
    assert user is not None, username
    return UserPublic.model_validate(user)
