"""Read positions and receipts on each backend: unread arithmetic, a position that only moves forward, who hears of
a move, receipts that are reciprocal, and the same refusal for anyone who may not use the conversation."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest
from sqlmodel import select

from chatapp.clock import as_utc
from chatapp.errors import NotFound
from chatapp.events import ReadMoved
from chatapp.schemas import InboxRow, UserPublic
from chatapp.services import friendships, inbox, privacy, reads
from chatapp.services.tx import ServiceRunner, Tx
from models import ConversationMember
from tests.concurrency import together
from tests.factories import make_friends, make_user, open_chat, read_group, say


def test_others_messages_are_unread_mine_never(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    for text in ('one', 'two', 'three'):
        say(services, bob, chat, text)

    assert _row(services, alice, chat).unread == 3
    assert _row(services, bob, chat).unread == 0
    assert _total(services, alice) == 3 and _total(services, bob) == 0

    say(services, alice, chat, 'my answer')  # writing means having read what came before

    assert _row(services, alice, chat).unread == 0
    assert _row(services, bob, chat).unread == 1
    assert _total(services, alice) == 0 and _total(services, bob) == 1


def test_mark_read_moves_forward_only_and_never_past_the_end(services: ServiceRunner, alice: UserPublic,
                                                            bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    for text in ('one', 'two', 'three', 'four'):
        say(services, bob, chat, text)

    assert _mark(services, alice, chat, 2) == (2, 1)
    first_read_at = _row_at(services, alice, chat)
    assert first_read_at is not None
    assert _row(services, alice, chat).unread == 2

    assert _mark(services, alice, chat, 1) == (2, 0)  # backwards: nothing changes, nobody hears
    assert _mark(services, alice, chat, 2) == (2, 0)
    assert _mark(services, alice, chat, -5) == (2, 0)
    assert _row_at(services, alice, chat) == first_read_at

    assert _mark(services, alice, chat, 999) == (4, 1)  # clamped to the last message
    assert _row(services, alice, chat).read_seq == 4 and _row(services, alice, chat).unread == 0
    assert _mark(services, alice, chat, 999) == (4, 0)
    assert _total(services, alice) == 0


def test_tabs_marking_at_the_same_moment_never_move_it_back(services: ServiceRunner, alice: UserPublic,
                                                           bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    for number in range(24):
        say(services, bob, chat, f'message {number}')

    for round_ in range(3):
        base = round_ * 8
        outcomes = together([partial(_mark, services, alice, chat, base + step) for step in range(1, 9)])

        positions = [outcome[0] for outcome in outcomes if isinstance(outcome, tuple)]
        assert len(positions) == 8, outcomes
        assert _row(services, alice, chat).read_seq == max(positions) == base + 8


def test_read_moved_goes_to_the_reader_and_to_the_other_when_both_share(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'one')
    say(services, bob, chat, 'two')

    _, events = services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=1)

    assert len(events) == 1 and isinstance(events[0], ReadMoved)
    moved = events[0]
    assert moved.recipients == tuple(sorted((alice.id, bob.id)))
    assert (moved.conversation_id, moved.user_id, moved.read_seq) == (chat, alice.id, 1)
    assert moved.read_at == _row_at(services, alice, chat)


@pytest.mark.parametrize('hides', ['reader', 'other'])
def test_read_moved_stays_with_the_reader_when_either_hides_receipts(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, hides: str) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'one')
    services.run_sync(privacy.set_privacy, actor_id=(alice if hides == 'reader' else bob).id, read_receipts=False)

    _, events = services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=1)

    assert [event.recipients for event in events] == [(alice.id,)]


def test_read_moved_in_a_group_reaches_the_reader_and_the_senders_it_passed_who_share(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic, dave: UserPublic) -> None:
    """A receipt sits under its sender's own last message: only the senders of what the position moved over can
    show something new (in a group of 100 everyone else hearing each read cost 100 x 100 deliveries a message)."""
    outsider = make_user(services, 'erin')
    make_friends(services, alice, outsider)
    chat = read_group(services, 'Team', alice, bob, carol, dave)
    services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=1)  # the "created" event
    services.run_sync(privacy.set_privacy, actor_id=carol.id, read_receipts=False)
    say(services, carol, chat, 'from carol, who hides receipts')
    say(services, dave, chat, 'from dave')
    seq = say(services, bob, chat, 'hi all').seq

    _, events = services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=seq)
    assert [event.recipients for event in events] == [tuple(sorted((alice.id, bob.id, dave.id)))]

    seq = say(services, bob, chat, 'bob again').seq  # dave's message is behind alice now: he hears nothing new
    _, events = services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=seq)
    assert [event.recipients for event in events] == [tuple(sorted((alice.id, bob.id)))]

    services.run_sync(privacy.set_privacy, actor_id=alice.id, read_receipts=False)
    seq = say(services, bob, chat, 'again').seq
    _, events = services.run_sync(reads.mark_read, actor_id=alice.id, conversation_id=chat, seq=seq)
    assert [event.recipients for event in events] == [(alice.id,)]

    seq = say(services, alice, chat, 'from alice').seq  # carol, who hides hers, still moves: only she hears
    _, events = services.run_sync(reads.mark_read, actor_id=carol.id, conversation_id=chat, seq=seq)
    assert [event.recipients for event in events] == [(carol.id,)]


def test_many_readers_in_one_transaction_each_checked_moved_and_announced_alone(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic, dave: UserPublic) -> None:
    """What the read marker writes for a whole process at once: the same outcome, mark by mark, as ``mark_read``."""
    team = read_group(services, 'Team', alice, bob, carol)
    direct = open_chat(services, alice, dave)
    say(services, dave, direct, 'for alice')
    services.run_sync(privacy.set_privacy, actor_id=carol.id, read_receipts=False)
    start = say(services, alice, team, 'one').seq - 1
    last = say(services, alice, team, 'two').seq
    before = _snapshot(services)

    marks = [reads.Mark(alice.id, team, last),  # she wrote both: already there
             reads.Mark(bob.id, team, last),
             reads.Mark(carol.id, team, last + 5), reads.Mark(carol.id, team, start),  # the furthest counts, clamped
             reads.Mark(dave.id, team, last),  # not a member
             reads.Mark(alice.id, direct, 1)]
    results, events = services.run_sync(reads.mark_reads, marks=marks)

    assert results == {(alice.id, team): last, (bob.id, team): last, (carol.id, team): last, (dave.id, team): None,
                       (alice.id, direct): 1}
    heard = {(event.user_id, event.conversation_id): event for event in events if isinstance(event, ReadMoved)}
    assert len(events) == len(heard) == 3  # alice had not moved in the group; dave was refused
    assert heard[bob.id, team].recipients == tuple(sorted((alice.id, bob.id)))  # alice's receipt moves
    assert heard[carol.id, team].recipients == (carol.id,)  # she hides her receipts: only she hears
    assert heard[carol.id, team].read_seq == last
    assert heard[alice.id, direct].recipients == tuple(sorted((alice.id, dave.id)))
    changed = set(_snapshot(services)) - set(before)
    assert changed == {(team, bob.id, last), (team, carol.id, last), (direct, alice.id, 1)}
    assert services.run_sync(reads.mark_reads, marks=[])[0] == {}


def test_receipts_are_reciprocal(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, alice, chat, 'one')
    say(services, alice, chat, 'two')
    services.run_sync(reads.mark_read, actor_id=bob.id, conversation_id=chat, seq=1)

    (seen,) = services.run_sync(reads.receipts, actor_id=alice.id, conversation_id=chat)[0]
    assert (seen.user_id, seen.read_seq) == (bob.id, 1)
    assert seen.read_at == _row_at(services, bob, chat)
    (hers,) = services.run_sync(reads.receipts, actor_id=bob.id, conversation_id=chat)[0]
    assert (hers.user_id, hers.read_seq) == (alice.id, 2)  # she wrote both, so she has read both

    services.run_sync(privacy.set_privacy, actor_id=bob.id, read_receipts=False)
    assert services.run_sync(reads.receipts, actor_id=alice.id, conversation_id=chat)[0] == []  # bob hides his
    assert services.run_sync(reads.receipts, actor_id=bob.id, conversation_id=chat)[0] == []  # so he sees none

    services.run_sync(privacy.set_privacy, actor_id=bob.id, read_receipts=True)
    services.run_sync(privacy.set_privacy, actor_id=alice.id, read_receipts=False)
    assert services.run_sync(reads.receipts, actor_id=alice.id, conversation_id=chat)[0] == []
    assert services.run_sync(reads.receipts, actor_id=bob.id, conversation_id=chat)[0] == []


def test_group_receipts_list_the_others_who_share(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                 carol: UserPublic, dave: UserPublic) -> None:
    chat = read_group(services, 'Team', alice, bob, carol, dave)
    seq = say(services, alice, chat, 'hello').seq
    services.run_sync(reads.mark_read, actor_id=bob.id, conversation_id=chat, seq=seq)
    services.run_sync(privacy.set_privacy, actor_id=dave.id, read_receipts=False)

    found = services.run_sync(reads.receipts, actor_id=alice.id, conversation_id=chat)[0]

    assert [(r.user_id, r.read_seq) for r in found] == [(bob.id, seq), (carol.id, seq - 1)]


def test_a_group_member_who_is_nobodys_friend_may_read(services: ServiceRunner, alice: UserPublic,
                                                       bob: UserPublic, carol: UserPublic) -> None:
    chat = read_group(services, 'Team', alice, bob, carol)
    seq = say(services, bob, chat, 'hi carol').seq  # bob and carol are not friends

    assert services.run_sync(reads.mark_read, actor_id=carol.id, conversation_id=chat, seq=seq)[0] == seq
    assert [r.user_id for r in services.run_sync(reads.receipts, actor_id=carol.id, conversation_id=chat)[0]] == \
        [alice.id, bob.id]


@pytest.mark.parametrize('who', ['stranger', 'friend of both', 'ex-friend', 'unknown conversation'])
def test_refused_alike_for_anyone_who_may_not_use_it(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                      carol: UserPublic, who: str) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'one')
    team = read_group(services, 'Team', bob, alice)
    say(services, bob, team, 'team news')
    actor, conversation_ids = carol, [chat, team]
    if who == 'friend of both':
        make_friends(services, carol, alice)
        make_friends(services, carol, bob)
    elif who == 'ex-friend':
        services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)
        actor, conversation_ids = alice, [chat]
    elif who == 'unknown conversation':
        actor, conversation_ids = alice, [team + chat + 100]
    before = _snapshot(services)

    for conversation_id in conversation_ids:
        for fn, extra in ((reads.mark_read, {'seq': 1}), (reads.receipts, {})):
            with pytest.raises(NotFound) as refused:
                services.run_sync(fn, actor_id=actor.id, conversation_id=conversation_id, **extra)  # type: ignore[arg-type]
            assert refused.value.code == 'not_available'

    assert _snapshot(services) == before


def _mark(services: ServiceRunner, who: UserPublic, conversation_id: int, seq: int) -> tuple[int, int]:
    """The new position and how many events the call emitted."""
    position, events = services.run_sync(reads.mark_read, actor_id=who.id, conversation_id=conversation_id, seq=seq)
    return position, len(events)


def _row(services: ServiceRunner, who: UserPublic, conversation_id: int) -> InboxRow:
    return services.run_sync(inbox.inbox_row, actor_id=who.id, conversation_id=conversation_id)[0]


def _total(services: ServiceRunner, who: UserPublic) -> int:
    return services.run_sync(inbox.unread_total, actor_id=who.id)[0]


def _row_at(services: ServiceRunner, who: UserPublic, conversation_id: int) -> datetime | None:
    """When ``who`` last moved their position here (``read_at``, as stored)."""
    def read(tx: Tx) -> datetime | None:
        member = tx.session.get(ConversationMember, (conversation_id, who.id))
        assert member is not None
        return None if member.read_at is None else as_utc(member.read_at)
    return services.run_sync(read)[0]


def _snapshot(services: ServiceRunner) -> list[tuple[int, int, int]]:
    def read(tx: Tx) -> list[tuple[int, int, int]]:
        rows = tx.session.exec(select(ConversationMember)).all()
        return sorted((m.conversation_id, m.user_id, m.read_seq) for m in rows)
    return services.run_sync(read)[0]
