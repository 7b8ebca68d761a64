"""Many people at once for issue 8's scenarios: accounts and friendships written in bulk, conversations and groups
made through the real services.

Signing up a thousand people through ``accounts.signup`` would spend a thousand argon2 hashes (half a minute) on
something no scenario measures, so accounts share one real hash of the bench password (each can still log in) and
friendships are inserted as accepted rows. Conversations, their messages and groups go through the services, so
their members, positions and timeline events are exactly what the app makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlmodel import col

from bench.seed import PASSWORD
from chatapp.clock import utcnow
from chatapp.services import conversations, groups
from chatapp.services.tx import ServiceRunner
from models import Friendship, FriendshipStatus, User

BATCH = 2_000


@dataclass(frozen=True)
class Someone:
    id: int
    username: str


def people(runner: ServiceRunner, names: Sequence[str]) -> list[Someone]:
    """Accounts for ``names`` (all with the bench password), in the order given."""
    password_hash = runner.deps.hasher.hash(PASSWORD)
    now = utcnow()
    with runner.engine.begin() as connection:
        for first in range(0, len(names), BATCH):
            connection.execute(insert(User), [{'username': name, 'display_name': '', 'password_hash': password_hash,
                                               'created_at': now} for name in names[first:first + BATCH]])
        rows = connection.execute(select(col(User.id), col(User.username))
                                  .where(col(User.username).in_(list(names)))).all()
    ids = {username: user_id for user_id, username in rows if user_id is not None}
    return [Someone(ids[name], name) for name in names]


def befriend(runner: ServiceRunner, pairs: Iterable[tuple[Someone, Someone]]) -> None:
    """Accepted friendships between each pair (stored once per unordered pair, lower id first, as the services do)."""
    now = utcnow()
    rows = [{'user_low_id': min(a.id, b.id), 'user_high_id': max(a.id, b.id), 'requester_id': a.id,
             'status': FriendshipStatus.ACCEPTED, 'created_at': now, 'accepted_at': now} for a, b in pairs]
    with runner.engine.begin() as connection:
        for first in range(0, len(rows), BATCH):
            connection.execute(insert(Friendship), rows[first:first + BATCH])


def direct_chat(runner: ServiceRunner, sender: Someone, peer: Someone, text: str) -> int:
    """The direct conversation of two friends, opened by ``sender``, with one message of theirs; its id."""
    info = runner.run_sync(conversations.open_direct, actor_id=sender.id, peer_username=peer.username)[0]
    runner.run_sync(conversations.send_message, actor_id=sender.id, conversation_id=info.conversation_id, body=text)
    return info.conversation_id


def group(runner: ServiceRunner, creator: Someone, title: str, members: Sequence[Someone]) -> int:
    """A group made by ``creator`` with ``members`` (friends of theirs); its id."""
    info = runner.run_sync(groups.create_group, actor_id=creator.id, title=title,
                           member_ids=[member.id for member in members])[0]
    return info.conversation_id


def ring(crowd: Sequence[Someone], span: int) -> list[tuple[Someone, Someone]]:
    """Each person with the next ``span`` people around a circle: everyone has ``2 * span`` partners."""
    count = len(crowd)
    if count <= 2 * span:
        raise ValueError(f'a ring of {count} people has no {2 * span} distinct partners each')
    return [(crowd[i], crowd[(i + k) % count]) for k in range(1, span + 1) for i in range(count)]
