"""Test data made through the real services, never by writing rows directly."""

from __future__ import annotations

from chatapp.schemas import ChatInfo, MessageData, Relation, UserPublic
from chatapp.services import accounts, conversations, friendships, groups, reads
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username

PASSWORD = 'correct horse battery staple'


def make_user(services: ServiceRunner, username: str, *, display_name: str = '',
              password: str = PASSWORD) -> UserPublic:
    """A signed-up account."""
    user, _ = services.run_sync(accounts.signup, username=username, password=password, display_name=display_name)
    return user


def make_friends(services: ServiceRunner, a: UserPublic, b: UserPublic) -> None:
    """``a`` asks, ``b`` accepts."""
    services.run_sync(friendships.send_request, actor_id=a.id, target_id=b.id)
    services.run_sync(friendships.accept_request, actor_id=b.id, requester_id=a.id)


def open_chat(services: ServiceRunner, a: UserPublic, b: UserPublic) -> int:
    """The id of the direct conversation of ``a`` and ``b``, who become friends first."""
    make_friends(services, a, b)
    info, _ = services.run_sync(conversations.open_direct, actor_id=a.id, peer_username=b.username)
    return info.conversation_id


def say(services: ServiceRunner, sender: UserPublic, conversation_id: int, body: str = 'hello') -> MessageData:
    """``sender`` writes ``body`` in the conversation."""
    message, _ = services.run_sync(conversations.send_message, actor_id=sender.id, conversation_id=conversation_id,
                                   body=body)
    return message


def make_group(services: ServiceRunner, creator: UserPublic, members: list[UserPublic], *, title: str = 'Team',
               befriend: bool = True) -> ChatInfo:
    """A group of ``creator`` (its admin) and ``members``, who first become the creator's friends (``befriend``)."""
    if befriend:
        for member in members:
            make_friends(services, creator, member)
    info, _ = services.run_sync(groups.create_group, actor_id=creator.id, title=title,
                                member_ids=[member.id for member in members])
    return info


def user_named(services: ServiceRunner, username: str) -> UserPublic:
    """The account with ``username`` (made through the pages, say)."""
    user = services.run_sync(lambda tx: find_by_username(tx.session, username))[0]
    assert user is not None, username
    return UserPublic.model_validate(user)


def read_group(services: ServiceRunner, title: str, admin: UserPublic, *others: UserPublic) -> int:
    """A group of ``admin`` and ``others`` (the admin's friends, not each other's), everything in it read."""
    for other in others:
        if services.run_sync(friendships.relation, actor_id=admin.id, other_id=other.id)[0] != Relation.FRIENDS:
            make_friends(services, admin, other)
    conversation_id = make_group(services, admin, list(others), title=title, befriend=False).conversation_id
    for person in (admin, *others):
        services.run_sync(reads.mark_read, actor_id=person.id, conversation_id=conversation_id, seq=10**9)
    return conversation_id
