"""Friend requests, friendships and people search, through the real service layer on each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from chatapp.errors import Conflict, Invalid, NotFound
from chatapp.events import FriendshipChanged
from chatapp.schemas import Relation, UserPublic
from chatapp.services import friendships
from chatapp.services.friendships import SEARCH_MAX_LENGTH, SEARCH_PAGE_SIZE
from chatapp.services.tx import ServiceRunner
from models import Friendship, FriendshipStatus
from tests.concurrency import together
from tests.factories import make_friends, make_user


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice', display_name='Alice Liddell')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob', display_name='Bob Builder')


@pytest.fixture
def carol(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'carol')


def test_request_is_pending_for_both_and_tells_exactly_both(services: ServiceRunner, alice: UserPublic,
                                                            bob: UserPublic, carol: UserPublic) -> None:
    result, events = services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)

    assert result == Relation.REQUESTED
    assert events == [_changed(alice, bob, 'pending')]
    assert _relation(services, alice, bob) == Relation.REQUESTED
    assert _relation(services, bob, alice) == Relation.INCOMING
    assert _relation(services, carol, alice) == Relation.NONE
    row = _row(services, alice, bob)
    assert row is not None and row.status == FriendshipStatus.PENDING and row.requester_id == alice.id


def test_request_to_oneself_is_invalid(services: ServiceRunner, alice: UserPublic) -> None:
    with pytest.raises(Invalid):
        services.run_sync(friendships.send_request, actor_id=alice.id, target_id=alice.id)
    assert _rows(services) == []


def test_request_to_unknown_person_is_not_found(services: ServiceRunner, alice: UserPublic) -> None:
    with pytest.raises(NotFound):
        services.run_sync(friendships.send_request, actor_id=alice.id, target_id=alice.id + 1000)
    assert _rows(services) == []


def test_duplicate_request_is_a_conflict(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)
    with pytest.raises(Conflict):
        services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)
    assert _snapshot(services) == [(*sorted((alice.id, bob.id)), alice.id, FriendshipStatus.PENDING)]


@pytest.mark.parametrize('asker', ['first', 'second'])
def test_request_between_friends_is_a_conflict(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                               asker: str) -> None:
    make_friends(services, alice, bob)
    actor, target = (alice, bob) if asker == 'first' else (bob, alice)
    with pytest.raises(Conflict):
        services.run_sync(friendships.send_request, actor_id=actor.id, target_id=target.id)
    assert _snapshot(services) == [(*sorted((alice.id, bob.id)), alice.id, FriendshipStatus.ACCEPTED)]


def test_mutual_request_makes_friends(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)

    result, events = services.run_sync(friendships.send_request, actor_id=bob.id, target_id=alice.id)

    assert result == Relation.FRIENDS
    assert events == [_changed(bob, alice, 'accepted')]
    assert _snapshot(services) == [(*sorted((alice.id, bob.id)), alice.id, FriendshipStatus.ACCEPTED)]
    assert _relation(services, alice, bob) == _relation(services, bob, alice) == Relation.FRIENDS


def test_accept(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)

    _, events = services.run_sync(friendships.accept_request, actor_id=bob.id, requester_id=alice.id)

    assert events == [_changed(bob, alice, 'accepted')]
    row = _row(services, alice, bob)
    assert row is not None and row.status == FriendshipStatus.ACCEPTED and row.accepted_at is not None
    assert _relation(services, alice, bob) == _relation(services, bob, alice) == Relation.FRIENDS


@pytest.mark.parametrize('action', ['decline', 'cancel'])
def test_decline_and_cancel_remove_the_request(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                               action: str) -> None:
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)

    if action == 'decline':
        _, events = services.run_sync(friendships.decline_request, actor_id=bob.id, requester_id=alice.id)
        assert events == [_changed(bob, alice, 'removed')]
    else:
        _, events = services.run_sync(friendships.cancel_request, actor_id=alice.id, target_id=bob.id)
        assert events == [_changed(alice, bob, 'removed')]

    assert _rows(services) == []
    assert _relation(services, alice, bob) == _relation(services, bob, alice) == Relation.NONE
    # Either may ask again afterwards.
    result, _ = services.run_sync(friendships.send_request, actor_id=bob.id, target_id=alice.id)
    assert result == Relation.REQUESTED


def test_unfriend(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    make_friends(services, alice, bob)

    _, events = services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)

    assert events == [_changed(bob, alice, 'removed')]
    assert _rows(services) == []
    assert _relation(services, alice, bob) == Relation.NONE


# Each refusal: (setup between alice and bob, function, its keyword arguments given alice, bob and carol).
REFUSALS: dict[str, tuple[str, Callable[..., Any], Callable[[UserPublic, UserPublic, UserPublic], dict[str, int]]]] = {
    'accept a request that does not exist': (
        'none', friendships.accept_request, lambda a, b, c: {'actor_id': b.id, 'requester_id': a.id}),
    'accept your own outgoing request': (
        'pending', friendships.accept_request, lambda a, b, c: {'actor_id': a.id, 'requester_id': b.id}),
    'accept a request sent to someone else': (
        'pending', friendships.accept_request, lambda a, b, c: {'actor_id': c.id, 'requester_id': a.id}),
    'accept between friends': (
        'friends', friendships.accept_request, lambda a, b, c: {'actor_id': b.id, 'requester_id': a.id}),
    'decline a request that does not exist': (
        'none', friendships.decline_request, lambda a, b, c: {'actor_id': b.id, 'requester_id': a.id}),
    'decline your own outgoing request': (
        'pending', friendships.decline_request, lambda a, b, c: {'actor_id': a.id, 'requester_id': b.id}),
    'decline a request sent to someone else': (
        'pending', friendships.decline_request, lambda a, b, c: {'actor_id': c.id, 'requester_id': a.id}),
    'decline a friendship': (
        'friends', friendships.decline_request, lambda a, b, c: {'actor_id': b.id, 'requester_id': a.id}),
    'cancel a request that does not exist': (
        'none', friendships.cancel_request, lambda a, b, c: {'actor_id': a.id, 'target_id': b.id}),
    'cancel a request you did not send': (
        'pending', friendships.cancel_request, lambda a, b, c: {'actor_id': b.id, 'target_id': a.id}),
    'cancel a request someone else sent': (
        'pending', friendships.cancel_request, lambda a, b, c: {'actor_id': c.id, 'target_id': b.id}),
    'cancel a friendship': (
        'friends', friendships.cancel_request, lambda a, b, c: {'actor_id': a.id, 'target_id': b.id}),
    'unfriend a stranger': (
        'none', friendships.unfriend, lambda a, b, c: {'actor_id': a.id, 'friend_id': b.id}),
    'unfriend after asking': (
        'pending', friendships.unfriend, lambda a, b, c: {'actor_id': a.id, 'friend_id': b.id}),
    'unfriend after being asked': (
        'pending', friendships.unfriend, lambda a, b, c: {'actor_id': b.id, 'friend_id': a.id}),
    'unfriend a friend of a friend': (
        'friends', friendships.unfriend, lambda a, b, c: {'actor_id': c.id, 'friend_id': a.id}),
    'unfriend an unknown id': (
        'friends', friendships.unfriend, lambda a, b, c: {'actor_id': a.id, 'friend_id': c.id + 1000}),
}


@pytest.mark.parametrize('case', REFUSALS)
def test_refusals_change_nothing(services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic,
                                 case: str) -> None:
    setup, fn, arguments = REFUSALS[case]
    if setup == 'pending':
        services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)
    elif setup == 'friends':
        make_friends(services, alice, bob)
    before = _snapshot(services)

    with pytest.raises(NotFound):
        services.run_sync(fn, **arguments(alice, bob, carol))

    assert _snapshot(services) == before


def test_overview_lists_each_relation_sorted(services: ServiceRunner) -> None:
    me = make_user(services, 'myself')
    friends = [make_user(services, name) for name in ('zed', 'amy', 'kim')]
    askers = [make_user(services, name) for name in ('yuri', 'ben')]
    asked = [make_user(services, name) for name in ('xena', 'cid')]
    make_user(services, 'stranger')
    for person in friends[:2]:
        make_friends(services, me, person)
    make_friends(services, friends[2], me)
    for person in askers:
        services.run_sync(friendships.send_request, actor_id=person.id, target_id=me.id)
    for person in asked:
        services.run_sync(friendships.send_request, actor_id=me.id, target_id=person.id)

    view, events = services.run_sync(friendships.overview, actor_id=me.id)

    assert events == []
    assert [p.username for p in view.friends] == ['amy', 'kim', 'zed']
    assert [p.username for p in view.incoming] == ['ben', 'yuri']
    assert [p.username for p in view.outgoing] == ['cid', 'xena']
    assert view.friends[0] == friends[1]


def test_overview_of_a_newcomer_is_empty(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    make_friends(services, bob, make_user(services, 'dave'))
    view, _ = services.run_sync(friendships.overview, actor_id=alice.id)
    assert view.friends == view.incoming == view.outgoing == []


@pytest.mark.parametrize(('query', 'expected'), [
    ('ali', ['alice']),
    ('ALI', ['alice']),
    ('  Ice ', ['alice']),
    ('liddell', ['alice']),
    ('LIDD', ['alice']),
    ('builder', ['bob']),
    ('o', ['bob', 'carol']),
    ('nobody', []),
])
def test_search_matches_part_of_either_name_in_any_case(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                        carol: UserPublic, query: str, expected: list[str]) -> None:
    me = make_user(services, 'dave')
    page, events = services.run_sync(friendships.search_people, actor_id=me.id, query=query)
    assert [r.user.username for r in page.results] == expected
    assert page.page == 0 and not page.has_more
    assert events == []


def test_search_never_lists_the_actor(services: ServiceRunner, alice: UserPublic) -> None:
    other = make_user(services, 'alicia')
    page, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='ali')
    assert [r.user for r in page.results] == [other]


def test_search_pages(services: ServiceRunner, alice: UserPublic) -> None:
    names = [f'member{n:02d}' for n in range(SEARCH_PAGE_SIZE + 5)]
    for name in reversed(names):
        make_user(services, name)

    first, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='MEMBER', page=0)
    second, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='member', page=1)
    beyond, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='member', page=2)

    assert [r.user.username for r in first.results] == names[:SEARCH_PAGE_SIZE]
    assert first.has_more and first.page == 0
    assert [r.user.username for r in second.results] == names[SEARCH_PAGE_SIZE:]
    assert not second.has_more and second.page == 1
    assert beyond.results == [] and not beyond.has_more


def test_search_page_of_exactly_a_full_page_has_no_more(services: ServiceRunner, alice: UserPublic) -> None:
    for n in range(SEARCH_PAGE_SIZE):
        make_user(services, f'member{n:02d}')
    page, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='member')
    assert len(page.results) == SEARCH_PAGE_SIZE and not page.has_more


def test_search_shows_the_relation_to_each_person(services: ServiceRunner) -> None:
    me = make_user(services, 'myself')
    stranger, asked, asker, friend = (make_user(services, f'pp{n}') for n in range(4))
    services.run_sync(friendships.send_request, actor_id=me.id, target_id=asked.id)
    services.run_sync(friendships.send_request, actor_id=asker.id, target_id=me.id)
    make_friends(services, friend, me)
    # Relations between other people are none of my business.
    services.run_sync(friendships.send_request, actor_id=stranger.id, target_id=friend.id)

    page, _ = services.run_sync(friendships.search_people, actor_id=me.id, query='pp')

    assert [(r.user.username, r.relation) for r in page.results] == [
        ('pp0', Relation.NONE), ('pp1', Relation.REQUESTED), ('pp2', Relation.INCOMING), ('pp3', Relation.FRIENDS)]


@pytest.mark.parametrize(('query', 'expected'), [
    ('%', ['pct']),
    ('50%', ['pct']),
    ('_', ['under']),
    ('a_b', ['under']),
    ('\\', ['slash']),
])
def test_search_wildcards_are_literal(services: ServiceRunner, alice: UserPublic, query: str,
                                      expected: list[str]) -> None:
    make_user(services, 'pct', display_name='50% off')
    make_user(services, 'fifty', display_name='50x off')
    make_user(services, 'under', display_name='a_b')
    make_user(services, 'axb', display_name='axb')
    make_user(services, 'slash', display_name='back\\slash')
    page, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query=query)
    assert [r.user.username for r in page.results] == expected


@pytest.mark.parametrize('query', ['', ' ', ' \t\n ', 'x' * (SEARCH_MAX_LENGTH + 1)])
def test_search_refuses_empty_and_overlong_queries(services: ServiceRunner, alice: UserPublic, query: str) -> None:
    with pytest.raises(Invalid):
        services.run_sync(friendships.search_people, actor_id=alice.id, query=query)


def test_search_accepts_the_longest_query(services: ServiceRunner, alice: UserPublic) -> None:
    page, _ = services.run_sync(friendships.search_people, actor_id=alice.id, query='x' * SEARCH_MAX_LENGTH)
    assert page.results == []


ROUNDS = 10


def _fresh_pairs(services: ServiceRunner) -> Iterator[tuple[UserPublic, UserPublic]]:
    """``ROUNDS`` pairs of new accounts, one pair per round of a race."""
    for round_ in range(ROUNDS):
        yield make_user(services, f'left{round_}'), make_user(services, f'right{round_}')


def test_concurrent_mutual_requests_make_one_friendship(services: ServiceRunner) -> None:
    for a, b in _fresh_pairs(services):

        outcomes = _race(services, [(a, b), (b, a)])

        assert all(not isinstance(o, BaseException) for o in outcomes), outcomes
        assert sorted(outcomes) in ([Relation.FRIENDS, Relation.REQUESTED], [Relation.FRIENDS, Relation.FRIENDS])
        rows = _rows(services)
        pair = [r for r in rows if {r.user_low_id, r.user_high_id} == {a.id, b.id}]
        assert len(pair) == 1 and pair[0].status == FriendshipStatus.ACCEPTED


def test_concurrent_duplicate_requests_store_one(services: ServiceRunner) -> None:
    for a, b in _fresh_pairs(services):

        outcomes = _race(services, [(a, b), (a, b)])

        assert outcomes.count(Relation.REQUESTED) == 1, outcomes
        assert [type(o) for o in outcomes].count(Conflict) == 1, outcomes
        pair = [r for r in _rows(services) if {r.user_low_id, r.user_high_id} == {a.id, b.id}]
        assert len(pair) == 1 and pair[0].status == FriendshipStatus.PENDING and pair[0].requester_id == a.id


def test_concurrent_accept_and_cancel_one_wins(services: ServiceRunner) -> None:
    for a, b in _fresh_pairs(services):
        services.run_sync(friendships.send_request, actor_id=a.id, target_id=b.id)

        accepted, cancelled = together([
            lambda a=a, b=b: services.run_sync(friendships.accept_request, actor_id=b.id, requester_id=a.id),
            lambda a=a, b=b: services.run_sync(friendships.cancel_request, actor_id=a.id, target_id=b.id),
        ])

        row = _row(services, a, b)
        if isinstance(cancelled, NotFound):  # the acceptance came first: a cancel must not end the friendship
            assert accepted == (None, [_changed(b, a, 'accepted')])
            assert row is not None and row.status == FriendshipStatus.ACCEPTED
        else:
            assert isinstance(accepted, NotFound), (accepted, cancelled)
            assert cancelled == (None, [_changed(a, b, 'removed')])
            assert row is None


def test_concurrent_unfriend_from_both_sides_ends_it_once(services: ServiceRunner) -> None:
    for a, b in _fresh_pairs(services):
        make_friends(services, a, b)

        outcomes = together([
            lambda a=a, b=b: services.run_sync(friendships.unfriend, actor_id=a.id, friend_id=b.id),
            lambda a=a, b=b: services.run_sync(friendships.unfriend, actor_id=b.id, friend_id=a.id),
        ])

        assert [type(o) for o in outcomes].count(NotFound) == 1, outcomes
        assert _row(services, a, b) is None


def test_request_crossing_a_cancel_becomes_a_request(services: ServiceRunner) -> None:
    for a, b in _fresh_pairs(services):
        services.run_sync(friendships.send_request, actor_id=a.id, target_id=b.id)

        cancelled, asked = together([
            lambda a=a, b=b: services.run_sync(friendships.cancel_request, actor_id=a.id, target_id=b.id),
            lambda a=a, b=b: services.run_sync(friendships.send_request, actor_id=b.id, target_id=a.id),
        ])

        row = _row(services, a, b)
        assert row is not None
        if isinstance(cancelled, NotFound):  # b's request accepted a's first
            assert asked == (Relation.FRIENDS, [_changed(b, a, 'accepted')])
            assert row.status == FriendshipStatus.ACCEPTED
        else:
            assert cancelled == (None, [_changed(a, b, 'removed')])
            assert asked == (Relation.REQUESTED, [_changed(b, a, 'pending')])
            assert row.status == FriendshipStatus.PENDING and row.requester_id == b.id


def _race(services: ServiceRunner, pairs: list[tuple[UserPublic, UserPublic]]) -> list[object]:
    """``send_request`` for each (actor, target) at the same moment; the relations or the exceptions raised."""
    return [o[0] if isinstance(o, tuple) else o for o in together([
        lambda actor=actor, target=target: services.run_sync(friendships.send_request, actor_id=actor.id,
                                                             target_id=target.id)
        for actor, target in pairs])]


def _changed(a: UserPublic, b: UserPublic, status: str) -> FriendshipChanged:
    return FriendshipChanged(recipients=(a.id, b.id), user_ids=(a.id, b.id), status=status)  # type: ignore[arg-type]


def _relation(services: ServiceRunner, me: UserPublic, other: UserPublic) -> Relation:
    return services.run_sync(friendships.relation, actor_id=me.id, other_id=other.id)[0]


def _rows(services: ServiceRunner) -> list[Friendship]:
    with Session(services.engine) as session:
        return list(session.exec(select(Friendship).order_by(Friendship.id)))  # type: ignore[arg-type]


def _row(services: ServiceRunner, a: UserPublic, b: UserPublic) -> Friendship | None:
    low, high = sorted((a.id, b.id))
    return next((r for r in _rows(services) if (r.user_low_id, r.user_high_id) == (low, high)), None)


def _snapshot(services: ServiceRunner) -> list[tuple[int, int, int, str]]:
    """Pair, requester and status of every row: what a refusal must leave untouched."""
    return [(r.user_low_id, r.user_high_id, r.requester_id, r.status) for r in _rows(services)]
