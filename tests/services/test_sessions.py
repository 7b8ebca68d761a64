"""Changing the password and signing out everywhere, on each backend: the old password is required (and throttled as
logins are), the rules apply, and each moves the session epoch and tells the account's pages."""

from __future__ import annotations

import pytest

from chatapp.errors import ChatError, Invalid, Throttled
from chatapp.events import SessionsEnded
from chatapp.schemas import Account, UserPublic
from chatapp.services import accounts, sessions
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import get_user
from tests.factories import PASSWORD, make_user

NEW = 'a brand new passphrase'
CLIENT = '203.0.113.7'


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice')


def test_a_new_password_replaces_the_old_and_signs_out_other_browsers(services: ServiceRunner,
                                                                       alice: UserPublic) -> None:
    epoch, events = services.run_sync(sessions.change_password, actor_id=alice.id, old_password=PASSWORD,
                                      new_password=NEW, client_key=CLIENT, kept='this-browser')
    assert epoch == 1 == _epoch(services, alice)
    assert events == [SessionsEnded(recipients=(alice.id,), user_id=alice.id, epoch=1, kept='this-browser')]
    assert _login(services, 'alice', NEW).session_epoch == 1
    with pytest.raises(Invalid):
        _login(services, 'alice', PASSWORD)


@pytest.mark.parametrize(('old', 'new', 'code'), [
    ('not my password', NEW, 'wrong_password'),
    (PASSWORD, 'short', 'invalid'),
    (PASSWORD, 'password123', 'invalid'),
    (PASSWORD, PASSWORD, 'same_password'),
])
def test_refusals_change_nothing(services: ServiceRunner, alice: UserPublic, old: str, new: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        services.run_sync(sessions.change_password, actor_id=alice.id, old_password=old, new_password=new,
                          client_key=CLIENT)
    assert refused.value.code == code
    assert _epoch(services, alice) == 0
    assert _login(services, 'alice', PASSWORD).id == alice.id


def test_wrong_old_passwords_are_throttled_with_logins(services: ServiceRunner, alice: UserPublic) -> None:
    refusals: list[ChatError] = []
    for _ in range(services.deps.settings.login_max_failures + 1):
        with pytest.raises(ChatError) as refused:
            services.run_sync(sessions.change_password, actor_id=alice.id, old_password='guess', new_password=NEW,
                              client_key=CLIENT)
        refusals.append(refused.value)
    assert type(refusals[-1]) is Throttled
    with pytest.raises(Throttled):  # the login page counts the same failures: no way round the limit
        _login(services, 'alice', PASSWORD)
    with pytest.raises(Throttled):  # and the right password does not get through while throttled either
        services.run_sync(sessions.change_password, actor_id=alice.id, old_password=PASSWORD, new_password=NEW,
                          client_key=CLIENT)
    assert _epoch(services, alice) == 0


def test_sign_out_everywhere_moves_the_epoch_each_time(services: ServiceRunner, alice: UserPublic) -> None:
    bob = make_user(services, 'bob')
    for expected in (1, 2):
        epoch, events = services.run_sync(sessions.sign_out_everywhere, actor_id=alice.id)
        assert epoch == expected == _epoch(services, alice)
        assert events == [SessionsEnded(recipients=(alice.id,), user_id=alice.id, epoch=expected)]
    assert _epoch(services, bob) == 0
    assert _login(services, 'alice', PASSWORD).session_epoch == 2


def _epoch(services: ServiceRunner, who: UserPublic) -> int:
    account = services.run_sync(get_user, user_id=who.id)[0]
    assert account is not None
    return account.session_epoch


def _login(services: ServiceRunner, username: str, password: str) -> Account:
    return services.run_sync(accounts.authenticate, username=username, password=password, client_key='elsewhere')[0]
