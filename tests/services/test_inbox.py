"""The inbox on each backend: what each row shows, the order and "load more", the filter, the join boundary, the
conversations left out, the unread total, and a fixed number of statements however many conversations there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, update

from chatapp import timeline
from chatapp.errors import Invalid, NotFound
from chatapp.schemas import InboxPage, InboxRow, UserPublic
from chatapp.services import friendships, groups, inbox
from chatapp.services.inbox import PREVIEW_LENGTH
from chatapp.services.tx import ServiceRunner, Tx
from models import Conversation, ConversationMember
from models.message import MAX_MESSAGE_LENGTH
from tests.factories import make_friends, make_user, open_chat, read_group, say


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice', display_name='Alice Liddell')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob', display_name='Bob Builder')


@pytest.fixture
def carol(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'carol')


def join_now(services: ServiceRunner, conversation_id: int, person: UserPublic) -> None:
    """``person`` becomes a member at the conversation's current end, with a stored position of 0 (as a careless
    writer might leave it): the join boundary must hold on its own."""
    def add(tx: Tx) -> None:
        conversation = tx.session.get(Conversation, conversation_id)
        assert conversation is not None
        tx.session.add(ConversationMember(conversation_id=conversation_id, user_id=person.id,
                                          joined_seq=conversation.last_seq, read_seq=0))
    services.run_sync(add)


def test_rows_show_title_path_peer_last_message_and_sender(services: ServiceRunner, alice: UserPublic,
                                                           bob: UserPublic, carol: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'hi alice')
    team = read_group(services, 'Book club', alice, bob, carol)
    say(services, carol, team, 'chapter 3?')
    mine = say(services, alice, team, 'yes')

    page = _page(services, alice)

    assert [row.conversation_id for row in page.rows] == [team, chat]
    team_row, chat_row = page.rows
    assert (team_row.kind, team_row.title, team_row.path, team_row.peer) == ('group', 'Book club', f'/group/{team}',
                                                                             None)
    assert team_row.last_message == mine and team_row.sender_label == 'You'
    assert (chat_row.kind, chat_row.title, chat_row.path, chat_row.peer) == ('direct', 'Bob Builder', '/chat/bob',
                                                                             bob)
    assert chat_row.last_message is not None and chat_row.last_message.body == 'hi alice'
    assert chat_row.sender_label == 'Bob Builder'
    assert chat_row.unread == 1 and team_row.unread == 0 and page.unread_total == 1
    assert not page.has_more and page.next_cursor is None

    bobs = _page(services, bob)
    assert [(row.title, row.sender_label, row.unread) for row in bobs.rows] == [
        ('Book club', 'Alice Liddell', 2), ('Alice Liddell', 'You', 0)]
    carols = _page(services, carol)
    assert [(row.title, row.sender_label, row.unread) for row in carols.rows] == [('Book club', 'Alice Liddell', 1)]
    assert _row(services, carol, team) == carols.rows[0]


def test_a_row_carries_the_start_of_a_long_message_and_a_whole_event(services: ServiceRunner, alice: UserPublic,
                                                                     bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    long = 'é😀' * (MAX_MESSAGE_LENGTH // 2)
    say(services, bob, chat, long)
    team = read_group(services, 'T' * 64, alice, bob)
    newcomers = [make_user(services, f'newcomer{n}', display_name=f'{n}' * 64) for n in range(3)]
    for newcomer in newcomers:
        make_friends(services, alice, newcomer)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=team,
                      user_ids=[newcomer.id for newcomer in newcomers])  # an event body longer than a preview

    chat_row = _row(services, alice, chat)
    assert chat_row.last_message is not None and chat_row.last_message.body == long[:PREVIEW_LENGTH]
    team_row = _row(services, alice, team)
    assert team_row.last_message is not None and timeline.decode(team_row.last_message.body) is not None


def test_newest_activity_first_and_ties_by_id(services: ServiceRunner, alice: UserPublic) -> None:
    chats = _chats(services, alice, 4)
    say(services, alice, chats[1], 'latest')
    assert _ids(_page(services, alice)) == [chats[1], chats[3], chats[2], chats[0]]

    _set_activity(services, chats, datetime(2030, 1, 1, tzinfo=UTC))  # all at the same moment
    assert _ids(_page(services, alice)) == sorted(chats, reverse=True)


def test_load_more_walks_every_row_once(services: ServiceRunner, alice: UserPublic) -> None:
    chats = _chats(services, alice, 7)
    _set_activity(services, chats[2:5], datetime(2030, 1, 1, tzinfo=UTC))  # a tie across a page boundary
    expected = _ids(_page(services, alice, limit=50))

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = _page(services, alice, before=cursor, limit=3)
        pages += 1
        seen += _ids(page)
        assert page.has_more == (page.next_cursor is not None)
        assert page.unread_total == 7
        if not page.has_more:
            break
        cursor = page.next_cursor

    assert pages == 3 and seen == expected and sorted(seen) == sorted(chats)


@pytest.mark.parametrize('cursor', ['nonsense', '1.2.3', '', '99999999999999999999999.1', '-x.4',
                                    '1.99999999999999999999999', '1.0'])
def test_a_cursor_we_did_not_give_is_refused(services: ServiceRunner, alice: UserPublic, cursor: str) -> None:
    with pytest.raises(Invalid) as refused:
        _page(services, alice, before=cursor)
    assert refused.value.code == 'bad_cursor'


def test_filter_by_title_name_or_username_any_case(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                    carol: UserPublic) -> None:
    with_bob = open_chat(services, alice, bob)
    with_carol = open_chat(services, alice, carol)
    odd = make_user(services, 'odd_one', display_name='100% Real')
    with_odd = open_chat(services, alice, odd)
    team = read_group(services, 'Builders Guild', alice, carol)
    for chat in (with_bob, with_carol, with_odd):
        say(services, alice, chat)

    def found(query: str) -> set[int]:
        return set(_ids(_page(services, alice, query=query)))

    assert found('') == {with_bob, with_carol, with_odd, team}
    assert found('BUILD') == {with_bob, team}  # bob's display name, the group's title
    assert found('  caRoL ') == {with_carol}  # a username
    assert found('guild') == {team}
    assert found('%') == {with_odd}  # LIKE's characters are literal
    assert found('_') == {with_odd}
    assert found('alice') == set()  # never matched on my own name
    assert _page(services, alice, query='builder').unread_total == 0


@pytest.mark.parametrize('query', ['a\x00b', 'x' * 65])
def test_a_bad_filter_is_refused(services: ServiceRunner, alice: UserPublic, query: str) -> None:
    with pytest.raises(Invalid):
        _page(services, alice, query=query)


def test_a_new_member_sees_no_earlier_message_and_counts_from_the_join(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    team = read_group(services, 'Team', alice, bob)
    say(services, alice, team, 'before carol')
    say(services, bob, team, 'still before carol')
    make_friends(services, alice, carol)
    join_now(services, team, carol)

    (row,) = _page(services, carol).rows
    assert row.conversation_id == team and row.last_message is None and row.sender_label is None
    assert row.unread == 0 and _page(services, carol).unread_total == 0

    after = say(services, bob, team, 'welcome carol')

    (row,) = _page(services, carol).rows
    assert row.last_message == after and row.sender_label == 'Bob Builder'
    assert row.unread == 1 and _page(services, carol).unread_total == 1


def test_a_member_added_later_sees_the_event_that_added_them_first(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    team = read_group(services, 'Team', alice, bob)
    say(services, bob, team, 'before carol')
    make_friends(services, alice, carol)

    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=team, user_ids=[carol.id])

    (row,) = _page(services, carol).rows
    assert row.last_message is not None and row.last_message.kind == 'event'
    assert row.last_message.seq == row.last_seq and row.sender_label == 'Alice Liddell'
    assert row.unread == 1 and _page(services, carol).unread_total == 1
    assert _row(services, bob, team).sender_label == 'Alice Liddell'
    assert _row(services, alice, team).sender_label == 'You' and _row(services, alice, team).unread == 0


def test_left_out_empty_direct_chats_ex_friends_and_others_groups(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    empty = open_chat(services, alice, carol)
    ended = open_chat(services, alice, bob)
    say(services, bob, ended, 'one')
    say(services, bob, ended, 'two')
    quiet_group = read_group(services, 'Quiet', alice, carol)
    dave = make_user(services, 'dave')
    theirs = read_group(services, 'Not mine', bob, dave)
    say(services, bob, theirs, 'secret')

    assert _ids(_page(services, alice)) == [quiet_group, ended]  # the empty direct chat waits for a message
    assert _row(services, alice, empty).last_message is None  # but it can be looked up
    assert _page(services, alice).unread_total == 2

    services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)

    assert _ids(_page(services, alice)) == [quiet_group]
    assert _page(services, alice).unread_total == 0
    assert _ids(_page(services, bob)) == [theirs]
    for actor, conversation_id in ((alice, ended), (bob, ended), (alice, theirs), (carol, theirs),
                                   (alice, theirs + ended + empty + 100)):
        with pytest.raises(NotFound) as refused:
            _row(services, actor, conversation_id)
        assert refused.value.code == 'not_available'


def test_muted_conversations_are_left_out_of_the_total(services: ServiceRunner, alice: UserPublic,
                                                       bob: UserPublic, carol: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    team = read_group(services, 'Noisy', bob, alice, carol)
    say(services, bob, chat, 'direct')
    for _ in range(3):
        say(services, carol, team, 'noise')
    assert _page(services, alice).unread_total == 4

    services.run_sync(groups.set_muted, actor_id=alice.id, conversation_id=team, muted=True)

    page = _page(services, alice)
    assert page.unread_total == 1 == services.run_sync(inbox.unread_total, actor_id=alice.id)[0]
    noisy = next(row for row in page.rows if row.conversation_id == team)
    assert noisy.muted and noisy.unread == 3  # the row still says how many
    assert _page(services, bob).unread_total == 3


def test_statements_per_page_do_not_grow_with_the_conversations(services: ServiceRunner, alice: UserPublic,
                                                                bob: UserPublic) -> None:
    say(services, bob, open_chat(services, alice, bob))
    with _counting(services) as few:
        _page(services, alice)

    chats = _chats(services, alice, 30)
    read_group(services, 'More', alice, bob)
    with _counting(services) as many:
        page = _page(services, alice, query='e', limit=10)
    with _counting(services) as next_page:
        _page(services, alice, before=page.next_cursor, limit=10)

    assert len(_page(services, alice).rows) == len(chats) + 2
    assert len(few) == len(many) == len(next_page) == 2, many


def _chats(services: ServiceRunner, me: UserPublic, count: int) -> list[int]:
    """``count`` direct conversations of ``me``, each with one message from the other person, oldest first."""
    chats = []
    for number in range(count):
        other = make_user(services, f'person{number}', display_name=f'Person {number}')
        chat = open_chat(services, me, other)
        say(services, other, chat, f'hello from {number}')
        chats.append(chat)
    return chats


def _set_activity(services: ServiceRunner, conversation_ids: list[int], at: datetime) -> None:
    def write(tx: Tx) -> None:
        tx.session.execute(update(Conversation).where(Conversation.id.in_(conversation_ids))  # type: ignore[union-attr]
                           .values(last_activity_at=at))
    services.run_sync(write)


@contextmanager
def _counting(services: ServiceRunner) -> Iterator[list[str]]:
    """The SQL statements run inside the block (transaction control aside)."""
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(services.engine, 'before_cursor_execute', note)
    try:
        yield statements
    finally:
        event.remove(services.engine, 'before_cursor_execute', note)


def _page(services: ServiceRunner, me: UserPublic, **kwargs: Any) -> InboxPage:
    return services.run_sync(inbox.inbox_page, actor_id=me.id, **kwargs)[0]


def _row(services: ServiceRunner, me: UserPublic, conversation_id: int) -> InboxRow:
    return services.run_sync(inbox.inbox_row, actor_id=me.id, conversation_id=conversation_id)[0]


def _ids(page: InboxPage) -> list[int]:
    return [row.conversation_id for row in page.rows]
