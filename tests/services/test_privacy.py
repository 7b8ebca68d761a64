"""Privacy choices on each backend: both on by default, changed one at a time, bad values refused, nothing emitted."""

from __future__ import annotations

from typing import Any

import pytest

from chatapp.errors import Invalid, NotFound
from chatapp.schemas import Privacy, UserPublic
from chatapp.services import privacy
from chatapp.services.tx import ServiceRunner
from tests.factories import make_user


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob')


def test_both_are_on_for_a_new_account(services: ServiceRunner, alice: UserPublic) -> None:
    assert _get(services, alice) == Privacy(read_receipts=True, show_presence=True)


def test_each_choice_changes_alone_and_only_for_its_owner(services: ServiceRunner, alice: UserPublic,
                                                          bob: UserPublic) -> None:
    changed, events = services.run_sync(privacy.set_privacy, actor_id=alice.id, read_receipts=False)
    assert changed == Privacy(read_receipts=False, show_presence=True) == _get(services, alice)
    assert events == []

    changed, events = services.run_sync(privacy.set_privacy, actor_id=alice.id, show_presence=False)
    assert changed == Privacy(read_receipts=False, show_presence=False) == _get(services, alice)
    assert events == []

    changed, _ = services.run_sync(privacy.set_privacy, actor_id=alice.id)  # nothing asked, nothing changes
    assert changed == _get(services, alice) == Privacy(read_receipts=False, show_presence=False)

    changed, _ = services.run_sync(privacy.set_privacy, actor_id=alice.id, read_receipts=True, show_presence=True)
    assert changed == _get(services, alice) == Privacy(read_receipts=True, show_presence=True)
    assert _get(services, bob) == Privacy(read_receipts=True, show_presence=True)


@pytest.mark.parametrize('values', [{'read_receipts': 'no'}, {'show_presence': 0},
                                    {'read_receipts': False, 'show_presence': 'false'}])
def test_anything_but_on_or_off_is_refused_and_changes_nothing(services: ServiceRunner, alice: UserPublic,
                                                               values: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as refused:
        services.run_sync(privacy.set_privacy, actor_id=alice.id, **values)
    assert refused.value.code == 'bad_setting'
    assert _get(services, alice) == Privacy(read_receipts=True, show_presence=True)


def test_an_account_that_is_gone_is_not_found(services: ServiceRunner, alice: UserPublic) -> None:
    with pytest.raises(NotFound):
        services.run_sync(privacy.get_privacy, actor_id=alice.id + 100)
    with pytest.raises(NotFound):
        services.run_sync(privacy.set_privacy, actor_id=alice.id + 100, read_receipts=False)


def _get(services: ServiceRunner, who: UserPublic) -> Privacy:
    return services.run_sync(privacy.get_privacy, actor_id=who.id)[0]
