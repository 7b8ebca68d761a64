"""Every row of the access table in ``conversations.require_access``, through every service that reads or writes a
conversation, on each backend: one refusal for every kind of outsider, and no trace of a refused write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from chatapp.errors import NotFound
from chatapp.events import MembershipChanged, MessagePosted
from chatapp.schemas import ChatInfo, UserPublic
from chatapp.services import conversations, friendships, groups
from chatapp.services.conversations import NOT_AVAILABLE, NOT_AVAILABLE_CODE
from chatapp.services.tx import ServiceRunner
from models import Conversation, Message
from tests.factories import make_friends, make_group, make_user, open_chat


@dataclass
class Cast:
    """alice is the actor of every row; bob and carol are the others."""

    services: ServiceRunner
    alice: UserPublic
    bob: UserPublic
    carol: UserPublic


def group_member_friends_with_nobody(cast: Cast) -> int:
    info = make_group(cast.services, cast.bob, [cast.alice, cast.carol])
    cast.services.run_sync(friendships.unfriend, actor_id=cast.bob.id, friend_id=cast.alice.id)
    return info.conversation_id


def direct_member_friends(cast: Cast) -> int:
    return open_chat(cast.services, cast.alice, cast.bob)


def direct_member_pending_request(cast: Cast) -> int:
    chat = open_chat(cast.services, cast.alice, cast.bob)
    cast.services.run_sync(friendships.unfriend, actor_id=cast.bob.id, friend_id=cast.alice.id)
    cast.services.run_sync(friendships.send_request, actor_id=cast.alice.id, target_id=cast.bob.id)
    return chat


def direct_member_unfriended(cast: Cast) -> int:
    chat = open_chat(cast.services, cast.alice, cast.bob)
    cast.services.run_sync(friendships.unfriend, actor_id=cast.alice.id, friend_id=cast.bob.id)
    return chat


def never_in_group_friends_with_all(cast: Cast) -> int:
    info = make_group(cast.services, cast.bob, [cast.carol])
    make_friends(cast.services, cast.alice, cast.bob)
    make_friends(cast.services, cast.alice, cast.carol)
    return info.conversation_id


def removed_from_group(cast: Cast) -> int:
    info = make_group(cast.services, cast.bob, [cast.alice, cast.carol])
    cast.services.run_sync(groups.remove_member, actor_id=cast.bob.id, conversation_id=info.conversation_id,
                           user_id=cast.alice.id)
    return info.conversation_id


def left_group(cast: Cast) -> int:
    info = make_group(cast.services, cast.bob, [cast.alice, cast.carol])
    cast.services.run_sync(groups.leave_group, actor_id=cast.alice.id, conversation_id=info.conversation_id)
    return info.conversation_id


def not_in_direct_friends_with_both(cast: Cast) -> int:
    chat = open_chat(cast.services, cast.bob, cast.carol)
    make_friends(cast.services, cast.alice, cast.bob)
    make_friends(cast.services, cast.alice, cast.carol)
    return chat


def no_such_conversation(cast: Cast) -> int:
    chat = open_chat(cast.services, cast.bob, cast.carol)
    return chat + 1000


# (situation, may alice use it?): the rows of the docstring's table, plus the ways of stopping being a member.
ROWS: dict[str, tuple[Callable[[Cast], int], bool]] = {
    'group member, friends with nobody in it': (group_member_friends_with_nobody, True),
    'direct member, friends': (direct_member_friends, True),
    'direct member, pending request': (direct_member_pending_request, False),
    'direct member, unfriended': (direct_member_unfriended, False),
    'never in the group, friends with all': (never_in_group_friends_with_all, False),
    'removed from the group': (removed_from_group, False),
    'left the group': (left_group, False),
    'not in the direct chat, friends with both': (not_in_direct_friends_with_both, False),
    'no such conversation': (no_such_conversation, False),
}


def _open(cast: Cast, chat: int) -> Any:
    info = cast.services.run_sync(conversations.open_conversation, actor_id=cast.alice.id, conversation_id=chat)[0]
    assert isinstance(info, ChatInfo) and info.me == cast.alice
    return info


def _send(cast: Cast, chat: int) -> Any:
    message, [event] = cast.services.run_sync(conversations.send_message, actor_id=cast.alice.id,
                                              conversation_id=chat, body='psst')
    assert isinstance(event, MessagePosted) and cast.alice.id in event.recipients
    return message


def _before(cast: Cast, chat: int) -> Any:
    return cast.services.run_sync(conversations.messages_before, actor_id=cast.alice.id, conversation_id=chat,
                                  before_seq=None)[0]


def _after(cast: Cast, chat: int) -> Any:
    return cast.services.run_sync(conversations.messages_after, actor_id=cast.alice.id, conversation_id=chat,
                                  after_seq=0)[0]


def _typing(cast: Cast, chat: int) -> Any:
    audience = cast.services.run_sync(conversations.typing_audience, actor_id=cast.alice.id, conversation_id=chat)[0]
    assert audience and cast.alice.id not in audience
    return audience


def _mute(cast: Cast, chat: int) -> Any:
    _, [event] = cast.services.run_sync(groups.set_muted, actor_id=cast.alice.id, conversation_id=chat, muted=True)
    assert isinstance(event, MembershipChanged) and event.recipients == (cast.alice.id,)
    return event


SERVICES: dict[str, Callable[[Cast, int], Any]] = {
    'open': _open, 'send': _send, 'read before': _before, 'read after': _after, 'typing': _typing, 'mute': _mute}


@pytest.mark.parametrize('service', SERVICES)
@pytest.mark.parametrize('row', ROWS)
def test_access_table(services: ServiceRunner, row: str, service: str) -> None:
    cast = Cast(services, make_user(services, 'alice'), make_user(services, 'bob'), make_user(services, 'carol'))
    situation, allowed = ROWS[row]
    chat = situation(cast)
    before = _traces(services)

    if allowed:
        SERVICES[service](cast, chat)
        return
    with pytest.raises(NotFound) as refused:
        SERVICES[service](cast, chat)
    assert refused.value.code == NOT_AVAILABLE_CODE and str(refused.value) == NOT_AVAILABLE
    assert _traces(services) == before


def _traces(services: ServiceRunner) -> tuple[int, list[int]]:
    """How many messages there are and each conversation's counter: a refused send leaves both alone."""
    with Session(services.engine) as session:
        count = session.exec(select(func.count()).select_from(Message)).one()
        return count, list(session.exec(select(Conversation.last_seq).order_by(col(Conversation.id))))
