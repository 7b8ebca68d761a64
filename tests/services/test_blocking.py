"""Blocking on each backend: it ends the friendship or request, refuses requests both ways and adding the blocker to
groups, hides presence and typing both ways, and unblocking restores nothing but the possibility."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from chatapp.clock import utcnow
from chatapp.errors import Conflict, Invalid, NotFound
from chatapp.events import FriendshipChanged
from chatapp.schemas import Relation, UserPublic
from chatapp.services import blocking, friendships, groups, presence, profiles
from chatapp.services.tx import ServiceRunner
from models import Friendship, FriendshipStatus
from tests.factories import make_friends, make_group, make_user


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    return {name: make_user(services, name) for name in ('alice', 'bob', 'carol', 'dave')}


def test_a_block_ends_the_friendship_and_the_blocked_person_is_told_nothing_more(
        services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob = people['alice'], people['bob']
    make_friends(services, alice, bob)
    _, events = services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)
    # the same event as an unfriend: their pages update, nothing says "blocked"
    assert events == [FriendshipChanged(recipients=(alice.id, bob.id), user_ids=(alice.id, bob.id), status='removed')]
    assert _relation(services, alice, bob) == Relation.NONE
    assert services.run_sync(blocking.blocked_list, actor_id=alice.id)[0] == [bob]
    assert services.run_sync(blocking.blocked_ids, actor_id=alice.id)[0] == [bob.id]
    assert services.run_sync(blocking.blocked_list, actor_id=bob.id)[0] == []
    _, events = services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)  # twice: no change
    assert events == []
    assert services.run_sync(profiles.profile_card, actor_id=alice.id, user_id=bob.id)[0].blocked


@pytest.mark.parametrize('requester', ['alice', 'bob'])
def test_pending_requests_end_and_none_can_be_sent_either_way(services: ServiceRunner,
                                                              people: dict[str, UserPublic], requester: str) -> None:
    alice, bob = people['alice'], people['bob']
    asker, other = (alice, bob) if requester == 'alice' else (bob, alice)
    services.run_sync(friendships.send_request, actor_id=asker.id, target_id=other.id)
    services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)
    assert _relation(services, alice, bob) == Relation.NONE
    with pytest.raises(Conflict) as refused:
        services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)
    assert refused.value.code == 'blocked'  # the blocker is told to unblock first
    with pytest.raises(Conflict) as refused:
        services.run_sync(friendships.send_request, actor_id=bob.id, target_id=alice.id)
    assert refused.value.code == 'unavailable'  # the blocked person is not told why

    services.run_sync(blocking.unblock, actor_id=alice.id, user_id=bob.id)
    assert _relation(services, alice, bob) == Relation.NONE  # nothing comes back by itself
    services.run_sync(friendships.send_request, actor_id=bob.id, target_id=alice.id)
    assert _relation(services, alice, bob) == Relation.INCOMING


def test_only_a_block_of_mine_is_lifted_by_me(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob = people['alice'], people['bob']
    services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)
    with pytest.raises(NotFound):
        services.run_sync(blocking.unblock, actor_id=bob.id, user_id=alice.id)
    with pytest.raises(Invalid):
        services.run_sync(blocking.block, actor_id=alice.id, user_id=alice.id)
    with pytest.raises(NotFound):
        services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id + 1000)
    assert services.run_sync(blocking.blocked_ids, actor_id=alice.id)[0] == [bob.id]


def test_nobody_adds_me_to_a_group_across_a_block(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob, carol = people['alice'], people['bob'], people['carol']
    team = make_group(services, bob, [carol]).conversation_id
    make_friends(services, bob, alice)
    services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)
    _race_a_friendship_in(services, alice, bob)
    for call in (lambda: services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=team,
                                           user_ids=[alice.id]),
                 lambda: services.run_sync(groups.create_group, actor_id=bob.id, title='New',
                                           member_ids=[alice.id])):
        with pytest.raises(Invalid) as refused:
            call()
        assert refused.value.code == 'not_friend'  # the same refusal as for anyone who is not bob's friend


def test_presence_and_typing_stop_both_ways_in_a_shared_group(services: ServiceRunner,
                                                              people: dict[str, UserPublic]) -> None:
    alice, bob, carol = people['alice'], people['bob'], people['carol']
    team = make_group(services, carol, [alice, bob]).conversation_id  # alice and bob share only this group
    assert bob.id in _presence_audience(services, alice)
    services.run_sync(blocking.block, actor_id=alice.id, user_id=bob.id)
    assert _presence_audience(services, alice) == [carol.id]
    assert _presence_audience(services, bob) == [carol.id]
    assert set(services.run_sync(presence.visible_presence, actor_id=bob.id, user_ids=[alice.id, carol.id])[0]) \
        == {carol.id}
    assert set(services.run_sync(presence.visible_presence, actor_id=alice.id, user_ids=[bob.id, carol.id])[0]) \
        == {carol.id}
    for typist, other in ((alice, bob), (bob, alice)):
        _, audience = services.run_sync(presence.typing_targets, actor_id=typist.id, conversation_id=team)[0]
        assert audience == [carol.id], other.username
    services.run_sync(blocking.unblock, actor_id=alice.id, user_id=bob.id)
    assert bob.id in _presence_audience(services, alice)
    assert services.run_sync(presence.typing_targets, actor_id=alice.id, conversation_id=team)[0][1] == \
        sorted([bob.id, carol.id])


def _race_a_friendship_in(services: ServiceRunner, a: UserPublic, b: UserPublic) -> None:
    """An accepted friendship that slipped past the block (a request accepted while the block was stored): the one
    place these tests write rows, so that the group rule is shown to hold on its own."""
    low, high = sorted((a.id, b.id))
    with Session(services.engine) as session:
        session.add(Friendship(user_low_id=low, user_high_id=high, requester_id=low, status=FriendshipStatus.ACCEPTED,
                               accepted_at=utcnow()))
        session.commit()


def _relation(services: ServiceRunner, a: UserPublic, b: UserPublic) -> Relation:
    return services.run_sync(friendships.relation, actor_id=a.id, other_id=b.id)[0]


def _presence_audience(services: ServiceRunner, who: UserPublic) -> list[int]:
    return services.run_sync(presence.presence_audience, user_id=who.id)[0]
