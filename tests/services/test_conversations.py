"""Direct conversations and their messages: who may open, read and write them, gap-free message order, and what
a member sees on opening one (``ChatInfo``). Groups: test_groups.py; the access table: test_access.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from chatapp.errors import Invalid, NotFound
from chatapp.events import FriendshipChanged, MessagePosted
from chatapp.schemas import ChatInfo, MessageData, Receipt, UserPublic
from chatapp.services import conversations, friendships, privacy
from chatapp.services.conversations import MAX_MESSAGE_LENGTH, NOT_AVAILABLE, PAGE_SIZE
from chatapp.services.tx import ServiceRunner, Tx
from models import Conversation, ConversationMember, Message
from tests.concurrency import together
from tests.factories import make_friends, make_user


@pytest.fixture
def chat(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> int:
    """The id of alice's and bob's conversation; they are friends."""
    make_friends(services, alice, bob)
    info, _ = services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    return info.conversation_id


def test_open_direct_creates_the_conversation_once(services: ServiceRunner, alice: UserPublic,
                                                   bob: UserPublic) -> None:
    make_friends(services, alice, bob)

    first, events = services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    again, _ = services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='BOB')
    other_side, _ = services.run_sync(conversations.open_direct, actor_id=bob.id, peer_username=' alice ')

    assert events == []
    assert first.me == alice and first.peer == bob
    assert first.messages == [] and not first.has_earlier
    assert other_side.me == bob and other_side.peer == alice
    assert first.conversation_id == again.conversation_id == other_side.conversation_id
    assert _members(services) == {first.conversation_id: {alice.id, bob.id}}
    assert (first.kind, first.title, first.path) == ('direct', 'bob', '/chat/bob')
    assert (other_side.title, other_side.path) == ('Alice', '/chat/alice')
    assert [(m.user, m.role) for m in first.members] == [(alice, 'member'), (bob, 'member')]
    assert (first.my_role, first.muted, first.joined_seq, first.read_seq, first.last_seq) == ('member', False, 0, 0, 0)
    assert first.receipts == [Receipt(user_id=bob.id, read_seq=0, read_at=None)]


def test_my_own_messages_are_read_and_the_others_count_as_unread(services: ServiceRunner, alice: UserPublic,
                                                                 bob: UserPublic, chat: int) -> None:
    for n in range(2):
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=f'a{n}')
    mine = services.run_sync(conversations.open_conversation, actor_id=alice.id, conversation_id=chat)[0]
    theirs = services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=chat)[0]
    assert (mine.last_seq, mine.read_seq) == (2, 2)
    assert (theirs.last_seq, theirs.read_seq) == (2, 0)
    assert theirs.receipts[0].read_seq == 2 and theirs.receipts[0].read_at is not None  # alice has read her own
    services.run_sync(conversations.send_message, actor_id=bob.id, conversation_id=chat, body='b')
    mine = services.run_sync(conversations.open_conversation, actor_id=alice.id, conversation_id=chat)[0]
    assert mine.last_seq - mine.read_seq == 1


@pytest.mark.parametrize('hidden_by', ['alice', 'bob'])
def test_read_receipts_are_reciprocal(services: ServiceRunner, alice: UserPublic, bob: UserPublic, chat: int,
                                      hidden_by: str) -> None:
    services.run_sync(privacy.set_privacy, actor_id=(alice if hidden_by == 'alice' else bob).id, read_receipts=False)
    for reader in (alice, bob):
        info = services.run_sync(conversations.open_conversation, actor_id=reader.id, conversation_id=chat)[0]
        assert info.receipts == []


def test_concurrent_first_opens_make_one_conversation(services: ServiceRunner) -> None:
    for round_ in range(10):
        a = make_user(services, f'left{round_}')
        b = make_user(services, f'right{round_}')
        make_friends(services, a, b)

        outcomes = together([
            lambda a=a, b=b: services.run_sync(conversations.open_direct, actor_id=a.id, peer_username=b.username),
            lambda a=a, b=b: services.run_sync(conversations.open_direct, actor_id=b.id, peer_username=a.username),
        ])

        assert all(isinstance(o, tuple) for o in outcomes), outcomes
        ids = {o[0].conversation_id for o in outcomes}  # type: ignore[index]
        assert len(ids) == 1
        members = _members(services)
        assert len(members) == round_ + 1 and members[ids.pop()] == {a.id, b.id}


@pytest.mark.parametrize('peer', ['carol', 'dave', 'nobody', 'alice', 'ALICE ', ''])
def test_open_direct_refuses_all_but_friends(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                             peer: str) -> None:
    """carol has a pending request from alice, dave is a stranger, nobody does not exist, alice is herself."""
    carol = make_user(services, 'carol')
    make_user(services, 'dave')
    make_friends(services, alice, bob)
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=carol.id)
    with pytest.raises(NotFound) as refused:
        services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username=peer)
    assert str(refused.value) == NOT_AVAILABLE
    assert _members(services) == {}


def test_messages_are_numbered_per_conversation_and_told_to_both(services: ServiceRunner, alice: UserPublic,
                                                                 bob: UserPublic, chat: int) -> None:
    carol = make_user(services, 'carol')
    make_friends(services, alice, carol)
    other_chat, _ = services.run_sync(conversations.open_direct, actor_id=carol.id, peer_username='alice')

    other = other_chat.conversation_id
    sent = []
    for n, (sender, conversation_id, members) in enumerate([
            (alice, chat, {alice.id, bob.id}), (bob, chat, {alice.id, bob.id}),
            (carol, other, {alice.id, carol.id}), (alice, chat, {alice.id, bob.id})]):
        message, events = services.run_sync(conversations.send_message, actor_id=sender.id,
                                            conversation_id=conversation_id, body=f'hello {n}')
        [event] = events
        assert isinstance(event, MessagePosted) and event.message == message
        assert sorted(event.recipients) == sorted(members)
        sent.append(message)

    assert [(m.conversation_id, m.seq, m.sender_id, m.body) for m in sent] == [
        (chat, 1, alice.id, 'hello 0'), (chat, 2, bob.id, 'hello 1'),
        (other, 1, carol.id, 'hello 2'), (chat, 3, alice.id, 'hello 3')]
    info, _ = services.run_sync(conversations.open_direct, actor_id=bob.id, peer_username='alice')
    assert info.messages == [sent[0], sent[1], sent[3]]
    # Times are UTC-aware whether just sent or read back, on every backend (SQLite reads them back naive).
    assert all(m.created_at.utcoffset() == timedelta(0) for m in [*sent, *info.messages])


@pytest.mark.parametrize(('body', 'stored'), [
    ('  hi there \n', 'hi there'),
    ('<script>alert(1)</script> &amp; <b>x</b>', '<script>alert(1)</script> &amp; <b>x</b>'),
    ('line one\nline two', 'line one\nline two'),
    ('x' * MAX_MESSAGE_LENGTH, 'x' * MAX_MESSAGE_LENGTH),
    (' ' + 'é' * MAX_MESSAGE_LENGTH + ' ', 'é' * MAX_MESSAGE_LENGTH),
])
def test_message_body_is_stored_stripped_and_literal(services: ServiceRunner, alice: UserPublic, chat: int,
                                                     body: str, stored: str) -> None:
    message, _ = services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=body)
    assert message.body == stored
    [reread] = services.run_sync(conversations.messages_after, actor_id=alice.id, conversation_id=chat,
                                 after_seq=0)[0]
    assert reread == message


@pytest.mark.parametrize('body', ['', ' ', '\n\t ', 'x' * (MAX_MESSAGE_LENGTH + 1)])
def test_empty_and_overlong_messages_are_refused(services: ServiceRunner, alice: UserPublic, chat: int,
                                                 body: str) -> None:
    with pytest.raises(Invalid):
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=body)
    assert _stored(services) == []
    assert _last_seq(services, chat) == 0


def _send(services: ServiceRunner, actor: UserPublic, chat: int) -> Any:
    return services.run_sync(conversations.send_message, actor_id=actor.id, conversation_id=chat, body='psst')


def _before(services: ServiceRunner, actor: UserPublic, chat: int) -> Any:
    return services.run_sync(conversations.messages_before, actor_id=actor.id, conversation_id=chat, before_seq=99)


def _after(services: ServiceRunner, actor: UserPublic, chat: int) -> Any:
    return services.run_sync(conversations.messages_after, actor_id=actor.id, conversation_id=chat, after_seq=0)


USES: dict[str, Callable[[ServiceRunner, UserPublic, int], Any]] = {
    'send': _send, 'read before': _before, 'read after': _after}


@pytest.mark.parametrize('use', USES)
@pytest.mark.parametrize('outsider', ['friend of both', 'stranger'])
def test_outsiders_cannot_use_a_conversation(services: ServiceRunner, alice: UserPublic, bob: UserPublic, chat: int,
                                             use: str, outsider: str) -> None:
    services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='secret')
    carol = make_user(services, 'carol')
    if outsider == 'friend of both':
        make_friends(services, carol, alice)
        make_friends(services, bob, carol)
    before = _stored(services)

    with pytest.raises(NotFound) as refused:
        USES[use](services, carol, chat)

    assert str(refused.value) == NOT_AVAILABLE
    assert _stored(services) == before
    assert _last_seq(services, chat) == 1


@pytest.mark.parametrize('use', USES)
def test_unknown_conversation_is_not_found(services: ServiceRunner, alice: UserPublic, chat: int, use: str) -> None:
    with pytest.raises(NotFound):
        USES[use](services, alice, chat + 1000)
    assert _stored(services) == []


@pytest.mark.parametrize('use', USES)
@pytest.mark.parametrize('member', ['alice', 'bob'])
def test_unfriending_closes_the_conversation_for_both(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                      chat: int, use: str, member: str) -> None:
    services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='bye')
    services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)
    before = _stored(services)

    with pytest.raises(NotFound) as refused:
        USES[use](services, alice if member == 'alice' else bob, chat)
    with pytest.raises(NotFound):
        services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')

    assert str(refused.value) == NOT_AVAILABLE
    assert _stored(services) == before


def test_pending_request_does_not_reopen_the_conversation(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                          chat: int) -> None:
    services.run_sync(friendships.unfriend, actor_id=alice.id, friend_id=bob.id)
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=bob.id)
    with pytest.raises(NotFound):
        _send(services, alice, chat)
    services.run_sync(friendships.accept_request, actor_id=bob.id, requester_id=alice.id)
    message, _ = _send(services, alice, chat)
    assert message.seq == 1


def test_history_pages(services: ServiceRunner, alice: UserPublic, bob: UserPublic, chat: int) -> None:
    total = 2 * PAGE_SIZE + 20
    for n in range(1, total + 1):
        services.run_sync(conversations.send_message, actor_id=(alice, bob)[n % 2].id, conversation_id=chat,
                          body=f'message {n}')

    info, _ = services.run_sync(conversations.open_direct, actor_id=bob.id, peer_username='alice')
    assert isinstance(info, ChatInfo) and info.has_earlier
    assert [m.seq for m in info.messages] == list(range(total - PAGE_SIZE + 1, total + 1))
    assert [m.body for m in info.messages][-1] == f'message {total}'

    pages = [info.messages]
    while True:
        older, events = services.run_sync(conversations.messages_before, actor_id=bob.id, conversation_id=chat,
                                          before_seq=pages[0][0].seq)
        assert events == []
        if not older:
            break
        pages.insert(0, older)
    assert [len(page) for page in pages] == [20, PAGE_SIZE, PAGE_SIZE]
    assert [m.seq for page in pages for m in page] == list(range(1, total + 1))

    few, _ = services.run_sync(conversations.messages_before, actor_id=alice.id, conversation_id=chat,
                               before_seq=11, limit=3)
    assert [m.seq for m in few] == [8, 9, 10]
    capped, _ = services.run_sync(conversations.messages_before, actor_id=alice.id, conversation_id=chat,
                                  before_seq=total + 1, limit=10 * PAGE_SIZE)
    assert [m.seq for m in capped] == list(range(total - PAGE_SIZE + 1, total + 1))


@pytest.mark.parametrize('limit', [0, -1])
def test_messages_before_with_no_room_returns_none(services: ServiceRunner, alice: UserPublic, chat: int,
                                                   limit: int) -> None:
    for _ in range(3):
        _send(services, alice, chat)
    messages, _ = services.run_sync(conversations.messages_before, actor_id=alice.id, conversation_id=chat,
                                    before_seq=4, limit=limit)
    assert messages == []


@pytest.mark.parametrize(('after_seq', 'expected'), [(0, range(1, 8)), (4, range(5, 8)), (7, []), (100, [])])
def test_messages_after(services: ServiceRunner, alice: UserPublic, bob: UserPublic, chat: int, after_seq: int,
                        expected: range | list[int]) -> None:
    for n in range(7):
        services.run_sync(conversations.send_message, actor_id=(alice, bob)[n % 2].id, conversation_id=chat,
                          body=str(n + 1))
    messages, events = services.run_sync(conversations.messages_after, actor_id=bob.id, conversation_id=chat,
                                         after_seq=after_seq)
    assert events == []
    assert [(m.seq, m.body) for m in messages] == [(n, str(n)) for n in expected]


def test_concurrent_sends_are_numbered_without_gaps(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                    chat: int) -> None:
    per_member = 50

    def sender(member: UserPublic) -> Callable[[], list[int]]:
        def send_all() -> list[int]:
            return [services.run_sync(conversations.send_message, actor_id=member.id, conversation_id=chat,
                                      body=f'{member.username} {n}')[0].seq for n in range(per_member)]
        return send_all

    outcomes = together([sender(alice), sender(bob)])

    assert all(isinstance(o, list) for o in outcomes), outcomes
    for seqs in outcomes:
        assert seqs == sorted(seqs)  # type: ignore[type-var]
    assert sorted(s for seqs in outcomes for s in seqs) == list(range(1, 2 * per_member + 1))  # type: ignore[attr-defined]
    stored = _stored(services)
    assert [seq for _, seq, _ in stored] == list(range(1, 2 * per_member + 1))
    # Each sender's own messages keep the order they were sent in.
    for member in (alice, bob):
        assert [body for _, _, body in stored if body.startswith(member.username)] == [
            f'{member.username} {n}' for n in range(per_member)]
    assert _last_seq(services, chat) == 2 * per_member


def _members(services: ServiceRunner) -> dict[int, set[int]]:
    with Session(services.engine) as session:
        members: dict[int, set[int]] = {}
        for conversation_id, user_id in session.exec(select(ConversationMember.conversation_id,
                                                            ConversationMember.user_id)):
            members.setdefault(conversation_id, set()).add(user_id)
        assert set(members) == set(session.exec(select(Conversation.id)))
        return members


def _stored(services: ServiceRunner) -> list[tuple[int, int, str]]:
    with Session(services.engine) as session:
        return [(m.conversation_id, m.seq, m.body)
                for m in session.exec(select(Message).order_by(col(Message.conversation_id), col(Message.seq)))]


def _last_seq(services: ServiceRunner, conversation_id: int) -> int:
    with Session(services.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.last_seq


def test_nul_characters_are_refused_not_crashed_on(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                   chat: int) -> None:
    with pytest.raises(Invalid, match='NUL'):
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='a\x00b')
    with pytest.raises(NotFound):
        services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob\x00')
    with pytest.raises(Invalid, match='NUL'):
        services.run_sync(friendships.search_people, actor_id=alice.id, query='b\x00')


def _in_background(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start ``call`` on a thread; the list receives its result or the exception it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _second_waits_for_first(first: Callable[[], object], first_holds: threading.Event, release: threading.Event,
                            second: Callable[[], object]) -> tuple[list[object], list[object]]:
    """Run ``first`` until it holds its locks, then ``second``; check that ``second`` waits until ``first`` is
    released; the outcomes of both."""
    first_thread, first_outcome = _in_background(first)
    assert first_holds.wait(timeout=10)
    second_thread, second_outcome = _in_background(second)
    second_thread.join(timeout=0.5)
    assert second_thread.is_alive(), second_outcome  # waits for the first transaction
    release.set()
    first_thread.join(timeout=10)
    second_thread.join(timeout=10)
    return first_outcome, second_outcome


def test_unfriending_waits_for_a_send_in_progress(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                  chat: int) -> None:
    """The send holds the friendship (a shared row lock on PostgreSQL) until it commits: the message is stored
    while they are still friends, and the unfriend goes through after it."""
    sent, release = threading.Event(), threading.Event()

    def send_then_linger(tx: Tx) -> MessageData:
        message = conversations.send_message(tx, actor_id=alice.id, conversation_id=chat, body='last words')
        sent.set()
        release.wait(timeout=10)
        return message

    sent_outcome, unfriend_outcome = _second_waits_for_first(
        lambda: services.run_sync(send_then_linger), sent, release,
        lambda: services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id))

    assert isinstance(sent_outcome[0], tuple), sent_outcome
    assert unfriend_outcome == [(None, [FriendshipChanged(recipients=(bob.id, alice.id), user_ids=(bob.id, alice.id),
                                                          status='removed')])]
    assert _stored(services) == [(chat, 1, 'last words')]
    with pytest.raises(NotFound):
        _send(services, alice, chat)


def test_a_send_waits_for_an_unfriend_in_progress_and_is_refused(services: ServiceRunner, alice: UserPublic,
                                                                 bob: UserPublic, chat: int) -> None:
    """A send that reaches the friendship while an unfriend holds it waits, then sees it ended: nothing slips in."""
    removed, release = threading.Event(), threading.Event()

    def unfriend_then_linger(tx: Tx) -> None:
        friendships.unfriend(tx, actor_id=bob.id, friend_id=alice.id)
        removed.set()
        release.wait(timeout=10)

    unfriend_outcome, sent_outcome = _second_waits_for_first(
        lambda: services.run_sync(unfriend_then_linger), removed, release, lambda: _send(services, alice, chat))

    assert isinstance(unfriend_outcome[0], tuple), unfriend_outcome
    assert isinstance(sent_outcome[0], NotFound) and str(sent_outcome[0]) == NOT_AVAILABLE
    assert _stored(services) == []
    assert _last_seq(services, chat) == 0


def test_a_send_tells_every_member_and_the_page_reads_it_back(services: ServiceRunner, alice: UserPublic,
                                                              bob: UserPublic, chat: int) -> None:
    message, [event] = services.run_sync(conversations.send_message, actor_id=bob.id, conversation_id=chat,
                                         body='hi')
    assert event == MessagePosted(recipients=tuple(sorted((alice.id, bob.id))), message=message)
    assert message.created_at.utcoffset() == timedelta(0)
    for reader in (alice, bob):
        newest, _ = services.run_sync(conversations.messages_before, actor_id=reader.id, conversation_id=chat,
                                      before_seq=None)
        assert newest == [message]


def test_a_send_repeated_with_its_transaction_id_is_stored_once(services: ServiceRunner, alice: UserPublic,
                                                                chat: int) -> None:
    first, events = services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat,
                                      body='hello', txn='t0000000001')
    again, repeated_events = services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat,
                                               body='hello', txn='t0000000001')
    after, _ = services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='next',
                                 txn='t0000000002')
    assert again == first and len(events) == 1 and repeated_events == []
    assert after.seq == first.seq + 1  # the repeat took no sequence number
    assert [body for _, _, body in _stored(services)] == ['hello', 'next']


def test_concurrent_copies_of_one_send_store_it_once(services: ServiceRunner, alice: UserPublic, chat: int) -> None:
    for round_ in range(5):
        def copy(body: str = f'r{round_}', txn: str = f'race{round_:08d}') -> object:
            return services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=body,
                                     txn=txn)

        outcomes = together([copy] * 3)
        results = [outcome[0] for outcome in outcomes if isinstance(outcome, tuple)]
        assert len(results) == 3, outcomes
        assert len({message.id for message in results}) == 1
    assert [body for _, _, body in _stored(services)] == [f'r{n}' for n in range(5)]


@pytest.mark.parametrize('txn', ['short', 'x' * 41, 'has space 123', 'quote"123456', 'ü' * 10])
def test_a_malformed_transaction_id_is_refused(services: ServiceRunner, alice: UserPublic, chat: int,
                                               txn: str) -> None:
    with pytest.raises(Invalid) as refused:
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='x', txn=txn)
    assert refused.value.code == 'bad_txn'
    assert _stored(services) == []


def test_a_transaction_id_cannot_be_reused_in_another_conversation(services: ServiceRunner, alice: UserPublic,
                                                                   chat: int) -> None:
    carol = make_user(services, 'carol')
    make_friends(services, alice, carol)
    other, _ = services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='carol')
    services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='x', txn='same0000id')
    with pytest.raises(Invalid):
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=other.conversation_id,
                          body='y', txn='same0000id')
    assert [body for _, _, body in _stored(services)] == ['x']


@pytest.mark.parametrize(('body', 'code'), [('  \n ', 'blank'), ('a\x00b', 'nul'), ('half \ud83d emoji', 'surrogate'),
                                            ('x' * (MAX_MESSAGE_LENGTH + 1), 'too_long')])
def test_each_refused_text_says_why_with_a_code(services: ServiceRunner, alice: UserPublic, chat: int, body: str,
                                                code: str) -> None:
    with pytest.raises(Invalid) as refused:
        services.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=body)
    assert refused.value.code == code
    assert str(refused.value) == conversations.problem_message(code, len(body.strip()))

