"""Limits where pages call services (``ServiceRunner.__call__``), on each database backend: a refused call raises
``Throttled``, stores nothing and does not even reach the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.errors import Throttled
from chatapp.schemas import Relation, UserPublic
from chatapp.security.limits import from_address
from chatapp.services import accounts, conversations, friendships, groups, profiles
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username
from tests.conftest import make_settings
from tests.factories import make_friends, make_user

HERE, THERE = '203.0.113.7', '198.51.100.20'
UNLIMITED = {f'limit_{name}': 'off' for name in (
    'messages', 'messages_per_address', 'friend_requests', 'friend_requests_per_address', 'friend_answers',
    'friend_answers_per_address', 'searches', 'searches_per_address', 'signups_per_address', 'group_changes',
    'group_changes_per_address', 'avatars', 'avatars_per_address')}


@pytest.fixture
def runner_with(tmp_path: Path, db_url: str) -> Iterator[Callable[..., ServiceRunner]]:
    """``runner_with(limit_messages='10/min', ...)``: the app's service layer with only the named limits."""
    made: list[ServiceRunner] = []

    def make(**limits: str) -> ServiceRunner:
        made.append(make_runner(make_settings(tmp_path, db_url, **{**UNLIMITED, **limits}), MemoryBroker()))
        return made[-1]

    yield make
    for runner in made:
        runner.shutdown()
        runner.engine.dispose()


@contextmanager
def statements(runner: ServiceRunner) -> Iterator[list[str]]:
    """The SQL statements the runner's engine executes inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(runner.engine, 'before_cursor_execute', note)
    try:
        yield seen
    finally:
        event.remove(runner.engine, 'before_cursor_execute', note)


def _pair(runner: ServiceRunner) -> tuple[UserPublic, UserPublic, int]:
    alice, bob = make_user(runner, 'alice'), make_user(runner, 'bob')
    make_friends(runner, alice, bob)
    info, _ = runner.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
    return alice, bob, info.conversation_id


def _stored(runner: ServiceRunner, reader: UserPublic, chat: int) -> list[str]:
    messages, _ = runner.run_sync(conversations.messages_after, actor_id=reader.id, conversation_id=chat, after_seq=0)
    return [m.body for m in messages]


async def test_the_eleventh_message_of_a_burst_is_refused_and_not_stored(
        runner_with: Callable[..., ServiceRunner]) -> None:
    runner = runner_with(limit_messages='10/min')
    alice, bob, chat = _pair(runner)
    with from_address(HERE):
        for number in range(10):
            await runner(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=f'm{number}')
        with statements(runner) as seen, pytest.raises(Throttled) as refused:
            await runner(conversations.send_message, actor_id=alice.id, conversation_id=chat, body='one too many')
        await runner(conversations.send_message, actor_id=bob.id, conversation_id=chat, body='bob has his own')

    assert seen == []  # refused before any database work
    assert refused.value.code == 'throttled' and refused.value.retry_after >= 1
    assert str(refused.value).startswith('You are sending messages too fast. Try again in ')
    assert _stored(runner, bob, chat) == [f'm{number}' for number in range(10)] + ['bob has his own']


async def test_messages_are_limited_per_address_across_accounts(runner_with: Callable[..., ServiceRunner]) -> None:
    runner = runner_with(limit_messages='100/min', limit_messages_per_address='15/min')
    alice, bob, chat = _pair(runner)
    with from_address(HERE):
        for number in range(10):
            await runner(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=f'a{number}')
        for number in range(5):
            await runner(conversations.send_message, actor_id=bob.id, conversation_id=chat, body=f'b{number}')
        with pytest.raises(Throttled):
            await runner(conversations.send_message, actor_id=bob.id, conversation_id=chat, body='refused')
    with from_address(THERE):
        await runner(conversations.send_message, actor_id=bob.id, conversation_id=chat, body='from elsewhere')

    assert 'refused' not in _stored(runner, alice, chat)
    assert len(_stored(runner, alice, chat)) == 16


async def test_friend_requests_are_limited_per_account_and_cancelling_counts(
        runner_with: Callable[..., ServiceRunner]) -> None:
    runner = runner_with(limit_friend_requests='3/min')
    alice, bob, carol, dave = (make_user(runner, name) for name in ('alice', 'bob', 'carol', 'dave'))
    with from_address(HERE):
        await runner(friendships.send_request, actor_id=alice.id, target_id=bob.id)
        await runner(friendships.cancel_request, actor_id=alice.id, target_id=bob.id)
        await runner(friendships.send_request, actor_id=alice.id, target_id=carol.id)
        with pytest.raises(Throttled, match='You are changing friendships too fast'):
            await runner(friendships.send_request, actor_id=alice.id, target_id=dave.id)
        await runner(friendships.accept_request, actor_id=carol.id, requester_id=alice.id)  # answers: own budget

    relation, _ = runner.run_sync(friendships.relation, actor_id=alice.id, other_id=dave.id)
    assert relation == Relation.NONE


async def test_friend_requests_and_searches_are_limited_per_address(runner_with: Callable[..., ServiceRunner]) -> None:
    runner = runner_with(limit_friend_requests_per_address='2/min', limit_searches_per_address='1/min')
    alice, bob, carol, dave = (make_user(runner, name) for name in ('alice', 'bob', 'carol', 'dave'))
    with from_address(HERE):
        await runner(friendships.send_request, actor_id=alice.id, target_id=bob.id)
        await runner(friendships.send_request, actor_id=carol.id, target_id=bob.id)
        with pytest.raises(Throttled):
            await runner(friendships.send_request, actor_id=dave.id, target_id=bob.id)
        await runner(friendships.search_people, actor_id=alice.id, query='b')
        with pytest.raises(Throttled, match='You are searching too fast'):
            await runner(friendships.search_people, actor_id=dave.id, query='b')
    with from_address(THERE):
        await runner(friendships.send_request, actor_id=dave.id, target_id=carol.id)

    relation, _ = runner.run_sync(friendships.relation, actor_id=dave.id, other_id=bob.id)
    assert relation == Relation.NONE


async def test_signups_are_limited_per_address(runner_with: Callable[..., ServiceRunner]) -> None:
    runner = runner_with(limit_signups_per_address='2/h')
    with from_address(HERE):
        await runner(accounts.signup, username='first', password='correct horse battery')
        await runner(accounts.signup, username='second', password='correct horse battery')
        with pytest.raises(Throttled, match='Too many accounts were created from your network') as refused:
            await runner(accounts.signup, username='third', password='correct horse battery')
    with from_address(THERE):
        await runner(accounts.signup, username='fourth', password='correct horse battery')

    assert refused.value.retry_after > 60
    names = ('first', 'second', 'third', 'fourth')
    found = [runner.run_sync(lambda tx, name=name: find_by_username(tx.session, name))[0] for name in names]
    assert [user is not None for user in found] == [True, True, False, True]


async def test_group_changes_are_limited_but_leaving_never_is(runner_with: Callable[..., ServiceRunner]) -> None:
    """Every group change is a timeline event for each member: a script toggling someone in and out is stopped, and
    nobody is ever kept in a group by a limit."""
    runner = runner_with(limit_group_changes='3/min')
    alice, bob, carol = (make_user(runner, name) for name in ('alice', 'bob', 'carol'))
    make_friends(runner, alice, bob)
    make_friends(runner, alice, carol)
    with from_address(HERE):
        info = await runner(groups.create_group, actor_id=alice.id, title='Trip', member_ids=[bob.id])
        group = info.conversation_id
        await runner(groups.add_members, actor_id=alice.id, conversation_id=group, user_ids=[carol.id])
        await runner(groups.remove_member, actor_id=alice.id, conversation_id=group, user_id=carol.id)
        with pytest.raises(Throttled, match='You are changing groups too fast'):
            await runner(groups.add_members, actor_id=alice.id, conversation_id=group, user_ids=[carol.id])
        await runner(groups.leave_group, actor_id=alice.id, conversation_id=group)

    members = [m.user.username for m in runner.run_sync(
        conversations.open_conversation, actor_id=bob.id, conversation_id=group)[0].members]
    assert members == ['bob']


async def test_picture_uploads_are_limited_per_account_and_per_address(
        runner_with: Callable[..., ServiceRunner]) -> None:
    """The avatar route asks ``avatar_allowance`` before it reads an upload: a refusal there is its 429."""
    runner = runner_with(limit_avatars='2/min', limit_avatars_per_address='3/min')
    alice, bob = make_user(runner, 'alice'), make_user(runner, 'bob')
    with from_address(HERE):
        for _ in range(2):
            await runner(profiles.avatar_allowance, actor_id=alice.id)
        with statements(runner) as seen, pytest.raises(Throttled) as refused:
            await runner(profiles.avatar_allowance, actor_id=alice.id)
        await runner(profiles.avatar_allowance, actor_id=bob.id)  # his own budget; the address's third
        with pytest.raises(Throttled):
            await runner(profiles.avatar_allowance, actor_id=bob.id)  # the address's fourth
    with from_address(THERE):
        await runner(profiles.avatar_allowance, actor_id=bob.id)

    assert seen == []  # refused before any database work
    assert refused.value.code == 'throttled' and refused.value.retry_after >= 1
    assert str(refused.value).startswith('You are changing your profile picture too often. Try again in ')


async def test_calls_not_made_by_pages_are_not_limited(runner_with: Callable[..., ServiceRunner]) -> None:
    """``run_sync`` (tests, seeding the benchmarks) skips the limits, and a call with no page address skips the
    address limits: only what a person does through a page is counted."""
    runner = runner_with(limit_messages='2/min', limit_signups_per_address='1/h')
    alice, _, chat = _pair(runner)
    for number in range(5):
        runner.run_sync(conversations.send_message, actor_id=alice.id, conversation_id=chat, body=f'm{number}')
    for number in range(3):
        await runner(accounts.signup, username=f'tool{number}', password='correct horse battery')
    assert len(_stored(runner, alice, chat)) == 5
