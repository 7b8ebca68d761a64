"""``ProfileChanged`` on each backend: a new display name or picture is announced, after the commit, to the person
themselves, their friends and the members of their groups, and to nobody else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatapp.events import Event, ProfileChanged, decode, encode
from chatapp.schemas import UserPublic
from chatapp.services import blocking, friendships, profiles
from chatapp.services.tx import ServiceRunner
from tests.factories import make_group, make_user, open_chat

PICTURE, OTHER = 'a' * 64, 'b' * 64
Change = Callable[[ServiceRunner, UserPublic], list[Event]]


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    """bob's circle: alice his friend, carol a fellow member of alice's group with him (not his friend), dave a
    former friend with a direct chat, erin who asked him to be friends, frank a stranger, gina another member of that
    group whom he blocked."""
    names = ('alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina')
    people = {name: make_user(services, name) for name in names}
    alice, bob, carol, dave, erin, gina = (people[name] for name in ('alice', 'bob', 'carol', 'dave', 'erin', 'gina'))
    make_group(services, alice, [bob, carol, gina])  # alice befriends them; the others are only fellow members
    open_chat(services, bob, dave)
    services.run_sync(friendships.unfriend, actor_id=dave.id, friend_id=bob.id)
    services.run_sync(friendships.send_request, actor_id=erin.id, target_id=bob.id)
    services.run_sync(blocking.block, actor_id=bob.id, user_id=gina.id)
    return people


def _rename(services: ServiceRunner, person: UserPublic) -> list[Event]:
    return services.run_sync(profiles.update_profile, actor_id=person.id, display_name='Bobby', about='')[1]


def _picture(services: ServiceRunner, person: UserPublic) -> list[Event]:
    return services.run_sync(profiles.set_avatar, actor_id=person.id, avatar=PICTURE)[1]


def _new_picture(services: ServiceRunner, person: UserPublic) -> list[Event]:
    services.run_sync(profiles.set_avatar, actor_id=person.id, avatar=PICTURE)
    return services.run_sync(profiles.set_avatar, actor_id=person.id, avatar=OTHER)[1]


def _no_picture(services: ServiceRunner, person: UserPublic) -> list[Event]:
    services.run_sync(profiles.set_avatar, actor_id=person.id, avatar=PICTURE)
    return services.run_sync(profiles.remove_avatar, actor_id=person.id)[1]


@pytest.mark.parametrize(('change', 'name', 'picture'), [
    (_rename, 'Bobby', None), (_picture, '', PICTURE), (_new_picture, '', OTHER), (_no_picture, '', None)],
    ids=['name', 'picture', 'replaced', 'removed'])
def test_a_change_reaches_me_my_friends_and_my_groups_and_no_one_else(
        services: ServiceRunner, people: dict[str, UserPublic], change: Change, name: str,
        picture: str | None) -> None:
    bob = people['bob']
    (event,) = change(services, bob)
    assert isinstance(event, ProfileChanged)
    # gina: blocks are not applied (she sees his card and his messages in the group anyway)
    assert event.recipients == tuple(sorted(people[name].id for name in ('alice', 'bob', 'carol', 'gina')))
    assert (event.user_id, event.username, event.display_name, event.avatar) == (bob.id, 'bob', name, picture)
    assert event.user.label == (name or 'bob')
    assert decode(encode(event)) == event  # as the Redis broker carries it


def test_nothing_is_announced_when_name_and_picture_stay(services: ServiceRunner,
                                                        people: dict[str, UserPublic]) -> None:
    bob = people['bob']
    assert _rename(services, bob) != []
    assert services.run_sync(profiles.update_profile, actor_id=bob.id, display_name=' Bobby ',
                             about='only the about line')[1] == []
    assert _picture(services, bob) != []
    assert _picture(services, bob) == []  # the same picture again
    assert services.run_sync(profiles.remove_avatar, actor_id=bob.id)[1] != []
    assert services.run_sync(profiles.remove_avatar, actor_id=bob.id)[1] == []  # none to remove


def test_someone_alone_hears_only_themselves(services: ServiceRunner) -> None:
    hermit = make_user(services, 'hermit')
    (event,) = _rename(services, hermit)
    assert isinstance(event, ProfileChanged) and event.recipients == (hermit.id,)
