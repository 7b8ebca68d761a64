"""Groups: every membership rule, the join boundary, the timeline events and who hears of each change."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlmodel import Session, col, select

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.clock import utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.events import Event, MembershipChanged, MessagePosted
from chatapp.schemas import ChatInfo, MessageData, UserPublic
from chatapp.services import conversations, groups
from chatapp.services.conversations import NOT_AVAILABLE_CODE
from chatapp.services.tx import ServiceRunner, Tx
from chatapp.timeline import describe
from models import Conversation, ConversationMember, Message
from models.conversation import GROUP_TITLE_MAX
from tests.concurrency import together
from tests.conftest import make_settings
from tests.factories import make_friends, make_group, make_user, say
from tests.services.test_conversations import _second_waits_for_first


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    """bob, carol, dave, erin, in that order of ids; bob is friends with all of them."""
    cast = {name: make_user(services, name, display_name=name.title()) for name in ('bob', 'carol', 'dave', 'erin')}
    for name in ('carol', 'dave', 'erin'):
        make_friends(services, cast['bob'], cast[name])
    return cast


@pytest.fixture
def team(services: ServiceRunner, people: dict[str, UserPublic]) -> int:
    """bob's group "Team" with carol and dave."""
    info, _ = services.run_sync(groups.create_group, actor_id=people['bob'].id, title='Team',
                                member_ids=[people['carol'].id, people['dave'].id])
    return info.conversation_id


def open_(services: ServiceRunner, user: UserPublic, group: int) -> ChatInfo:
    return services.run_sync(conversations.open_conversation, actor_id=user.id, conversation_id=group)[0]


def test_creating_a_group(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    bob, carol, dave = people['bob'], people['carol'], people['dave']
    info, events = services.run_sync(groups.create_group, actor_id=bob.id, title='  Weekend trip ',
                                     member_ids=[carol.id, dave.id, carol.id, bob.id])

    group = info.conversation_id
    assert (info.kind, info.title, info.path, info.peer) == ('group', 'Weekend trip', f'/group/{group}', None)
    assert [(m.user, m.role) for m in info.members] == [(bob, 'admin'), (carol, 'member'), (dave, 'member')]
    assert (info.my_role, info.joined_seq, info.read_seq, info.last_seq, info.muted) == ('admin', 0, 1, 1, False)
    [created] = info.messages
    assert (created.kind, created.seq, created.sender_id) == ('event', 1, bob.id)
    assert describe(created, bob.id) == 'You created the group “Weekend trip”'
    assert describe(created, carol.id) == 'Bob created the group “Weekend trip”'
    everyone = (bob.id, carol.id, dave.id)
    assert events == [MessagePosted(recipients=everyone, message=created),
                      MembershipChanged(recipients=everyone, conversation_id=group, user_ids=everyone,
                                        change='created')]

    seen_by_carol = open_(services, carol, group)
    assert (seen_by_carol.my_role, seen_by_carol.read_seq, seen_by_carol.last_seq) == ('member', 0, 1)
    assert seen_by_carol.messages == [created]
    assert {r.user_id for r in seen_by_carol.receipts} == {bob.id, dave.id}


@pytest.mark.parametrize(('title', 'code'), [('', 'title_blank'), ('  \n ', 'title_blank'),
                                             ('x' * (GROUP_TITLE_MAX + 1), 'title_too_long'),
                                             ('two\nlines', 'title_bad_character'), ('nul\x00', 'title_bad_character')])
def test_bad_titles_are_refused(services: ServiceRunner, people: dict[str, UserPublic], team: int, title: str,
                                code: str) -> None:
    bob, carol = people['bob'], people['carol']
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.create_group, actor_id=bob.id, title=title, member_ids=[carol.id])
    assert refused.value.code == code
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=team, title=title)
    assert refused.value.code == code
    assert _groups(services) == {team: 'Team'}


def test_longest_title_and_renaming(services: ServiceRunner, people: dict[str, UserPublic], team: int) -> None:
    bob, carol = people['bob'], people['carol']
    longest = 'é' * GROUP_TITLE_MAX
    info, _ = services.run_sync(groups.create_group, actor_id=bob.id, title=longest, member_ids=[carol.id])
    assert info.title == longest

    _, events = services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=team, title=' Crew ')
    posted, changed = events
    assert isinstance(posted, MessagePosted) and describe(posted.message, carol.id) == 'Bob renamed the group to “Crew”'
    assert changed == MembershipChanged(recipients=posted.recipients, conversation_id=team, change='renamed')
    assert open_(services, carol, team).title == 'Crew'
    _, again = services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=team, title='Crew')
    assert again == []  # the same name: no event, no new message
    assert open_(services, bob, team).last_seq == 2


def test_only_friends_can_be_put_in_a_group(services: ServiceRunner, people: dict[str, UserPublic],
                                            team: int) -> None:
    bob, carol, erin = people['bob'], people['carol'], people['erin']
    stranger = make_user(services, 'zed')
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.create_group, actor_id=bob.id, title='T', member_ids=[carol.id, stranger.id])
    assert refused.value.code == 'not_friend'
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.create_group, actor_id=bob.id, title='T', member_ids=[bob.id])
    assert refused.value.code == 'no_members'
    # carol is a member but not erin's friend: members add their own friends only
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.add_members, actor_id=carol.id, conversation_id=team, user_ids=[erin.id])
    assert refused.value.code == 'not_friend'
    assert _groups(services) == {team: 'Team'}
    assert _member_ids(services, team) == {bob.id, carol.id, people['dave'].id}


def test_any_member_adds_their_own_friends(services: ServiceRunner, people: dict[str, UserPublic],
                                           team: int) -> None:
    bob, carol, dave = people['bob'], people['carol'], people['dave']
    frank = make_user(services, 'frank', display_name='Frank')
    make_friends(services, carol, frank)
    make_friends(services, carol, people['erin'])
    assert services.run_sync(groups.addable_friends, actor_id=carol.id, conversation_id=team)[0] == [
        people['erin'], frank]

    _, events = services.run_sync(groups.add_members, actor_id=carol.id, conversation_id=team,
                                  user_ids=[frank.id, bob.id])
    posted, changed = events
    assert isinstance(posted, MessagePosted)
    assert posted.recipients == tuple(sorted((bob.id, carol.id, dave.id, frank.id)))
    assert changed == MembershipChanged(recipients=posted.recipients, conversation_id=team, user_ids=(frank.id,),
                                        change='added')
    assert describe(posted.message, frank.id) == 'Carol added you'
    assert describe(posted.message, carol.id) == 'You added Frank'
    seen_by_frank = open_(services, frank, team)
    assert (seen_by_frank.my_role, seen_by_frank.joined_seq, seen_by_frank.read_seq) == ('member', 1, 1)
    assert services.run_sync(groups.addable_friends, actor_id=carol.id, conversation_id=team)[0] == [people['erin']]
    # adding who is already in changes nothing
    assert services.run_sync(groups.add_members, actor_id=carol.id, conversation_id=team,
                             user_ids=[frank.id])[1] == []


ADMIN_ACTIONS: dict[str, Callable[[ServiceRunner, UserPublic, int, UserPublic], Any]] = {
    'rename': lambda s, actor, group, _: s.run_sync(groups.rename_group, actor_id=actor.id, conversation_id=group,
                                                    title='Mine now'),
    'remove': lambda s, actor, group, target: s.run_sync(groups.remove_member, actor_id=actor.id,
                                                         conversation_id=group, user_id=target.id),
    'make admin': lambda s, actor, group, target: s.run_sync(groups.make_admin, actor_id=actor.id,
                                                             conversation_id=group, user_id=target.id),
}


@pytest.mark.parametrize('action', ADMIN_ACTIONS)
def test_only_admins_rename_remove_and_make_admins(services: ServiceRunner, people: dict[str, UserPublic],
                                                   team: int, action: str) -> None:
    bob, carol, dave = people['bob'], people['carol'], people['dave']
    with pytest.raises(Invalid) as refused:
        ADMIN_ACTIONS[action](services, carol, team, dave)
    assert refused.value.code == 'not_admin'
    assert open_(services, bob, team).last_seq == 1

    services.run_sync(groups.make_admin, actor_id=bob.id, conversation_id=team, user_id=carol.id)
    ADMIN_ACTIONS[action](services, carol, team, dave)
    assert open_(services, bob, team).last_seq == 3


def test_an_admin_removes_a_member_who_loses_access_at_once(services: ServiceRunner, people: dict[str, UserPublic],
                                                            team: int) -> None:
    bob, carol, dave = people['bob'], people['carol'], people['dave']
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.remove_member, actor_id=bob.id, conversation_id=team, user_id=people['erin'].id)
    assert refused.value.code == 'not_member'

    _, events = services.run_sync(groups.remove_member, actor_id=bob.id, conversation_id=team, user_id=dave.id)

    posted, changed = events
    assert isinstance(posted, MessagePosted) and posted.recipients == (bob.id, carol.id)
    assert changed == MembershipChanged(recipients=(bob.id, carol.id, dave.id), conversation_id=team,
                                        user_ids=(dave.id,), change='removed')
    assert describe(posted.message, carol.id) == 'Bob removed Dave'
    for use in GROUP_USES.values():
        with pytest.raises(NotFound) as refused_use:
            use(services, dave, team)
        assert refused_use.value.code == NOT_AVAILABLE_CODE
    _, [event] = services.run_sync(conversations.send_message, actor_id=carol.id, conversation_id=team, body='hi')
    assert isinstance(event, MessagePosted) and event.recipients == (bob.id, carol.id)


GROUP_USES: dict[str, Callable[[ServiceRunner, UserPublic, int], Any]] = {
    'open': lambda s, u, g: s.run_sync(conversations.open_conversation, actor_id=u.id, conversation_id=g),
    'send': lambda s, u, g: s.run_sync(conversations.send_message, actor_id=u.id, conversation_id=g, body='x'),
    'before': lambda s, u, g: s.run_sync(conversations.messages_before, actor_id=u.id, conversation_id=g,
                                         before_seq=None),
    'after': lambda s, u, g: s.run_sync(conversations.messages_after, actor_id=u.id, conversation_id=g, after_seq=0),
    'typing': lambda s, u, g: s.run_sync(conversations.typing_audience, actor_id=u.id, conversation_id=g),
    'add': lambda s, u, g: s.run_sync(groups.add_members, actor_id=u.id, conversation_id=g, user_ids=[1]),
    'remove': lambda s, u, g: s.run_sync(groups.remove_member, actor_id=u.id, conversation_id=g, user_id=1),
    'leave': lambda s, u, g: s.run_sync(groups.leave_group, actor_id=u.id, conversation_id=g),
    'rename': lambda s, u, g: s.run_sync(groups.rename_group, actor_id=u.id, conversation_id=g, title='x'),
    'make admin': lambda s, u, g: s.run_sync(groups.make_admin, actor_id=u.id, conversation_id=g, user_id=1),
    'mute': lambda s, u, g: s.run_sync(groups.set_muted, actor_id=u.id, conversation_id=g, muted=True),
    'addable': lambda s, u, g: s.run_sync(groups.addable_friends, actor_id=u.id, conversation_id=g),
}


def test_the_last_admin_leaving_makes_the_longest_standing_member_admin(
        services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    bob, carol, dave, erin = people['bob'], people['carol'], people['dave'], people['erin']
    # dave joined first (with the group); carol, with a lower id, joined later
    group = make_group(services, bob, [dave], befriend=False).conversation_id
    services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=group, user_ids=[carol.id])

    _, events = services.run_sync(groups.leave_group, actor_id=bob.id, conversation_id=group)

    posted, left, promoted = events
    assert isinstance(posted, MessagePosted) and posted.recipients == (carol.id, dave.id)
    assert describe(posted.message, carol.id) == 'Bob left; Dave is now an admin'
    assert describe(posted.message, dave.id) == 'Bob left; you are now an admin'
    assert left == MembershipChanged(recipients=(bob.id, carol.id, dave.id), conversation_id=group,
                                     user_ids=(bob.id,), change='left')
    assert promoted == MembershipChanged(recipients=(carol.id, dave.id), conversation_id=group, user_ids=(dave.id,),
                                         change='admin')
    assert {m.user.username: m.role for m in open_(services, carol, group).members} == {
        'carol': 'member', 'dave': 'admin'}

    # Joined together: the lower id wins. An admin who leaves while another admin stays promotes nobody.
    together_ = make_group(services, bob, [erin, carol], befriend=False).conversation_id
    services.run_sync(groups.leave_group, actor_id=bob.id, conversation_id=together_)
    assert open_(services, erin, together_).my_role == 'member'
    assert open_(services, carol, together_).my_role == 'admin'
    services.run_sync(groups.make_admin, actor_id=carol.id, conversation_id=together_, user_id=erin.id)
    _, events = services.run_sync(groups.leave_group, actor_id=carol.id, conversation_id=together_)
    assert [type(e) for e in events] == [MessagePosted, MembershipChanged]
    assert isinstance(events[0], MessagePosted) and describe(events[0].message, erin.id) == 'Carol left'


def test_the_last_member_leaving_deletes_the_group_and_its_messages(
        services: ServiceRunner, people: dict[str, UserPublic], team: int) -> None:
    bob, carol, dave = people['bob'], people['carol'], people['dave']
    other = make_group(services, bob, [carol], befriend=False, title='Other').conversation_id
    for member in (bob, carol, dave):
        say(services, member, team, f'from {member.username}')
    say(services, carol, other, 'stays')
    for member in (bob, carol):
        services.run_sync(groups.leave_group, actor_id=member.id, conversation_id=team)

    _, events = services.run_sync(groups.leave_group, actor_id=dave.id, conversation_id=team)

    assert events == [MembershipChanged(recipients=(dave.id,), conversation_id=team, user_ids=(dave.id,),
                                        change='deleted')]
    assert _groups(services) == {other: 'Other'}
    with Session(services.engine) as session:
        assert set(session.exec(select(Message.conversation_id))) == {other}
        assert set(session.exec(select(ConversationMember.conversation_id))) == {other}


@pytest.fixture
def small_groups(tmp_path: Path, db_url: str) -> Iterator[ServiceRunner]:
    """The service layer with groups of at most 3 members."""
    runner = make_runner(make_settings(tmp_path, db_url, max_group_members=3), MemoryBroker())
    yield runner
    runner.shutdown()
    runner.engine.dispose()


def test_a_group_has_at_most_the_configured_members(small_groups: ServiceRunner) -> None:
    services = small_groups
    bob, carol, dave, erin = (make_user(services, name) for name in ('bob', 'carol', 'dave', 'erin'))
    for friend in (carol, dave, erin):
        make_friends(services, bob, friend)
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.create_group, actor_id=bob.id, title='T', member_ids=[carol.id, dave.id, erin.id])
    assert refused.value.code == 'too_many' and '3' in str(refused.value)
    assert _groups(services) == {}

    group = make_group(services, bob, [carol], befriend=False).conversation_id
    services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=group, user_ids=[dave.id])
    with pytest.raises(Invalid) as refused:
        services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=group, user_ids=[erin.id])
    assert refused.value.code == 'too_many'
    assert _member_ids(services, group) == {bob.id, carol.id, dave.id}


def test_concurrent_adds_do_not_pass_the_maximum(small_groups: ServiceRunner) -> None:
    services = small_groups
    bob, carol = make_user(services, 'bob'), make_user(services, 'carol')
    make_friends(services, bob, carol)
    for round_ in range(5):
        dave, erin = make_user(services, f'dave{round_}'), make_user(services, f'erin{round_}')
        make_friends(services, bob, dave)
        make_friends(services, carol, erin)
        group = make_group(services, bob, [carol], befriend=False).conversation_id

        outcomes = together([
            lambda g=group, d=dave: services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=g,
                                                      user_ids=[d.id]),
            lambda g=group, e=erin: services.run_sync(groups.add_members, actor_id=carol.id, conversation_id=g,
                                                      user_ids=[e.id]),
        ])

        assert sorted(type(o).__name__ for o in outcomes) == ['Invalid', 'tuple'], outcomes
        assert len(_member_ids(services, group)) == 3
        assert open_(services, bob, group).last_seq == 2


def test_a_new_member_sees_from_their_join_on(services: ServiceRunner, people: dict[str, UserPublic],
                                              team: int) -> None:
    bob, carol, erin = people['bob'], people['carol'], people['erin']
    for n in range(3):
        say(services, carol, team, f'before {n}')
    _, [added, _] = services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=team, user_ids=[erin.id])
    after = say(services, carol, team, 'after')
    assert isinstance(added, MessagePosted) and added.message.seq == 5

    info = open_(services, erin, team)
    assert (info.joined_seq, info.read_seq, info.last_seq, info.has_earlier) == (4, 4, 6, False)
    assert info.messages == [added.message, after]
    assert info.last_seq - info.read_seq == 2  # the event that added her, and carol's message
    for before_seq in (None, 5, 3):
        older, _ = services.run_sync(conversations.messages_before, actor_id=erin.id, conversation_id=team,
                                     before_seq=before_seq)
        assert older == ([added.message, after] if before_seq is None else [])
    caught_up, _ = services.run_sync(conversations.messages_after, actor_id=erin.id, conversation_id=team,
                                     after_seq=0)
    assert caught_up == [added.message, after]
    assert [m.seq for m in open_(services, carol, team).messages] == [1, 2, 3, 4, 5, 6]


def test_timeline_events_in_order_with_their_recipients(services: ServiceRunner,
                                                        people: dict[str, UserPublic]) -> None:
    bob, carol, dave, erin = people['bob'], people['carol'], people['dave'], people['erin']
    ids = {name: person.id for name, person in people.items()}
    log: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = []

    def step(events: list[Event]) -> None:
        posted, changed = events[:2]
        assert isinstance(posted, MessagePosted) and isinstance(changed, MembershipChanged)
        log.append((describe(posted.message, carol.id), posted.recipients, changed.recipients))

    info, events = services.run_sync(groups.create_group, actor_id=bob.id, title='Plan',
                                     member_ids=[carol.id, dave.id])
    step(events)
    group = info.conversation_id
    step(services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=group, user_ids=[erin.id])[1])
    step(services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=group, title='Plan B')[1])
    step(services.run_sync(groups.make_admin, actor_id=bob.id, conversation_id=group, user_id=carol.id)[1])
    step(services.run_sync(groups.remove_member, actor_id=bob.id, conversation_id=group, user_id=dave.id)[1])
    step(services.run_sync(groups.leave_group, actor_id=erin.id, conversation_id=group)[1])

    b, c, d, e = ids['bob'], ids['carol'], ids['dave'], ids['erin']
    assert log == [
        ('Bob created the group “Plan”', (b, c, d), (b, c, d)),
        ('Bob added Erin', (b, c, d, e), (b, c, d, e)),
        ('Bob renamed the group to “Plan B”', (b, c, d, e), (b, c, d, e)),
        ('Bob made you an admin', (b, c, d, e), (b, c, d, e)),
        ('Bob removed Dave', (b, c, e), (b, c, d, e)),
        ('Erin left', (b, c), (b, c, e)),
    ]
    timeline, _ = services.run_sync(conversations.messages_after, actor_id=carol.id, conversation_id=group,
                                    after_seq=0)
    assert [(m.seq, m.kind, describe(m, carol.id)) for m in timeline] == [
        (n, 'event', sentence) for n, (sentence, _, _) in enumerate(log, start=1)]
    # the actor of each change has read up to its event
    assert open_(services, bob, group).read_seq == 5
    assert open_(services, carol, group).read_seq == 0


def test_names_are_the_ones_of_the_moment(services: ServiceRunner, people: dict[str, UserPublic],
                                          team: int) -> None:
    bob = people['bob']
    _, [posted, _] = services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=team, title='New')
    services.run_sync(groups.rename_group, actor_id=bob.id, conversation_id=team, title='Newer')
    assert isinstance(posted, MessagePosted)
    [stored] = [m for m in open_(services, bob, team).messages if m.seq == posted.message.seq]
    assert describe(stored, people['dave'].id) == 'Bob renamed the group to “New”'


@pytest.mark.parametrize(('kind', 'targets', 'me', 'sentence'), [
    ('added', ['Bob', 'Carol'], 1, 'You added Bob and Carol'),
    ('added', ['Bob', 'Carol', 'Dave'], 3, 'Alice added you, Bob and Dave'),
    ('removed', ['Bob'], 2, 'Alice removed you'),
    ('admin', ['Bob'], 9, 'Alice made Bob an admin'),
    ('left', [], 9, 'Alice left'),
])
def test_describe(kind: Any, targets: list[str], me: int, sentence: str) -> None:
    from chatapp import timeline

    people = [UserPublic(id=n, username=name.lower(), display_name=name) for n, name in enumerate(targets, start=2)]
    alice = UserPublic(id=1, username='alice', display_name='Alice')
    message = MessageData(id=1, conversation_id=1, seq=1, sender_id=1, body=timeline.encode(kind, alice, people),
                          created_at=utcnow(), kind='event')
    assert describe(message, me) == sentence
    assert describe(message.model_copy(update={'body': 'not json'}), me) == timeline.UNKNOWN


def test_unread_counts_positions_and_my_own_messages_are_read(services: ServiceRunner,
                                                              people: dict[str, UserPublic], team: int) -> None:
    bob, carol = people['bob'], people['carol']
    before = _activity(services, team)
    for n in range(3):
        say(services, carol, team, f'm{n}')
    carol_view, bob_view = open_(services, carol, team), open_(services, bob, team)
    assert carol_view.last_seq == 4 and carol_view.read_seq == 4  # her own messages moved her position
    assert bob_view.last_seq - bob_view.read_seq == 3  # the created event was his own
    say(services, bob, team, 'reply')
    bob_view, carol_view = open_(services, bob, team), open_(services, carol, team)
    assert bob_view.last_seq - bob_view.read_seq == 0
    assert carol_view.last_seq - carol_view.read_seq == 1
    receipt = {r.user_id: r for r in carol_view.receipts}[bob.id]
    assert receipt.read_seq == 5 and receipt.read_at is not None
    assert _activity(services, team) > before


def test_muting_is_for_me_alone(services: ServiceRunner, people: dict[str, UserPublic], team: int) -> None:
    bob, carol = people['bob'], people['carol']
    services.run_sync(groups.set_muted, actor_id=carol.id, conversation_id=team, muted=True)
    assert open_(services, carol, team).muted and not open_(services, bob, team).muted
    services.run_sync(groups.set_muted, actor_id=carol.id, conversation_id=team, muted=False)
    assert not open_(services, carol, team).muted


def test_a_removal_racing_a_send_is_serialised(services: ServiceRunner, people: dict[str, UserPublic],
                                               team: int) -> None:
    """A send in progress holds the group's row: the removal waits for it, and the removed member was a
    recipient of that message (they were a member when it was stored). Then no send of theirs gets in."""
    bob, dave = people['bob'], people['dave']
    sent, release = threading.Event(), threading.Event()

    def send_then_linger(tx: Tx) -> MessageData:
        message = conversations.send_message(tx, actor_id=dave.id, conversation_id=team, body='last words')
        sent.set()
        release.wait(timeout=10)
        return message

    send_outcome, remove_outcome = _second_waits_for_first(
        lambda: services.run_sync(send_then_linger), sent, release,
        lambda: services.run_sync(groups.remove_member, actor_id=bob.id, conversation_id=team, user_id=dave.id))

    [(message, [posted])] = cast(list[tuple[MessageData, list[Event]]], send_outcome)
    assert isinstance(posted, MessagePosted) and dave.id in posted.recipients and message.seq == 2
    [(_, [removal, _])] = cast(list[tuple[None, list[Event]]], remove_outcome)
    assert isinstance(removal, MessagePosted) and removal.message.seq == 3


def test_a_send_waits_for_a_removal_in_progress_and_is_refused(services: ServiceRunner,
                                                               people: dict[str, UserPublic], team: int) -> None:
    bob, dave = people['bob'], people['dave']
    removed, release = threading.Event(), threading.Event()

    def remove_then_linger(tx: Tx) -> None:
        groups.remove_member(tx, actor_id=bob.id, conversation_id=team, user_id=dave.id)
        removed.set()
        release.wait(timeout=10)

    remove_outcome, send_outcome = _second_waits_for_first(
        lambda: services.run_sync(remove_then_linger), removed, release,
        lambda: services.run_sync(conversations.send_message, actor_id=dave.id, conversation_id=team, body='x'))

    assert isinstance(remove_outcome[0], tuple), remove_outcome
    assert isinstance(send_outcome[0], NotFound), send_outcome
    assert open_(services, bob, team).last_seq == 2


def _groups(services: ServiceRunner) -> dict[int, str | None]:
    with Session(services.engine) as session:
        return {c.id: c.title for c in session.exec(select(Conversation).where(Conversation.kind == 'group'))
                if c.id is not None}


def _member_ids(services: ServiceRunner, group: int) -> set[int]:
    with Session(services.engine) as session:
        return set(session.exec(select(ConversationMember.user_id)
                                .where(col(ConversationMember.conversation_id) == group)))


def _activity(services: ServiceRunner, group: int) -> datetime:
    with Session(services.engine) as session:
        return session.exec(select(Conversation.last_activity_at).where(Conversation.id == group)).one()
