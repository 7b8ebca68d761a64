"""Who may see whom online, and who hears a typist: the database side of the ephemeral path (``chatapp.ephemeral``).

Presence is visible between people who are friends or share a group, and only when both show their presence
(``User.show_presence``; off is reciprocal) and neither blocks the other (``services.blocking``); the same block
keeps a typist from those they block and who block them. Each function runs a fixed number of queries whatever the
number of friends or groups. None of them emits events: the ephemeral path publishes straight on the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    bindparam,
    case,
    or_,
    select,
    true,
    union,
    update,
)

from chatapp.clock import as_utc
from chatapp.services import conversations
from chatapp.services.conversations import core_table
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import require_user
from models import Blocking, Conversation, ConversationKind, ConversationMember, Friendship, FriendshipStatus, User

CHUNK = 500
"""Ids asked about in one query: keeps the statement's parameters far below SQLite's limit."""


_users = core_table(User)
_friendships = core_table(Friendship)
_conversations = core_table(Conversation)
_members = core_table(ConversationMember)
_blocking = core_table(Blocking)


@reads_only
def presence_audience(tx: Tx, *, user_id: int) -> list[int]:
    """Who hears that ``user_id`` came online: friends and fellow group members who show their presence, and nobody
    when ``user_id`` hides theirs."""
    return _audience(tx.session.connection(), user_id)


def record_offline(tx: Tx, *, user_id: int, at: datetime) -> list[int]:
    """Store ``at`` as ``user_id``'s last seen time and return who hears that they went offline (as above)."""
    connection = tx.session.connection()
    connection.execute(update(_users).where(_users.c.id == user_id).values(last_seen_at=at))
    return _audience(connection, user_id)


@reads_only
def visible_presence(tx: Tx, *, actor_id: int, user_ids: Sequence[int]) -> dict[int, datetime | None]:
    """The last seen time of each of ``user_ids`` whose presence the actor may see (friends and fellow group members,
    both showing their presence); the others, and the actor, are left out."""
    connection = tx.session.connection()
    if not _shows_presence(connection, actor_id):
        return {}
    wanted = sorted({user_id for user_id in user_ids if user_id != actor_id})
    seen: dict[int, datetime | None] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = connection.execute(_VISIBLE, {'user_id': actor_id, 'wanted': wanted[start:start + CHUNK]})
        seen.update({user_id: as_utc(last) if last is not None else None for user_id, last in rows})
    return seen


@reads_only
def visibility(tx: Tx, *, user_id: int) -> tuple[bool, list[int], datetime | None]:
    """After ``user_id`` changed ``show_presence``: whether they show it now, the friends and fellow group members
    who show theirs (who could see them before, or can now), and their last seen time."""
    connection = tx.session.connection()
    shows, last_seen = connection.execute(
        select(_users.c.show_presence, _users.c.last_seen_at).where(_users.c.id == user_id)).one()
    return bool(shows), _related_showing(connection, user_id), as_utc(last_seen) if last_seen is not None else None


@reads_only
def related_people(tx: Tx, *, user_id: int) -> list[int]:
    """The friends of ``user_id`` and the members of their groups, whatever their presence choices and blocks, in one
    query: who hears of a new name or picture (``services.profiles``)."""
    return list(tx.session.connection().execute(_RELATED, {'user_id': user_id}).scalars())


@reads_only
def typing_targets(tx: Tx, *, actor_id: int, conversation_id: int) -> tuple[str, list[int]]:
    """The actor's display label and the other members who hear them typing (``conversations.typing_audience``),
    read in one transaction; ``NotFound`` when the actor may not use the conversation."""
    audience = conversations.typing_audience(tx, actor_id=actor_id, conversation_id=conversation_id)
    user = require_user(tx.session, actor_id)
    blocks = set(tx.session.connection().execute(_BLOCKS, {'user_id': actor_id}).scalars()) if audience else set()
    return user.display_name or user.username, [user_id for user_id in audience if user_id not in blocks]


def _audience(connection: Connection, user_id: int) -> list[int]:
    return _related_showing(connection, user_id) if _shows_presence(connection, user_id) else []


def _related_showing(connection: Connection, user_id: int) -> list[int]:
    return list(connection.execute(_RELATED_SHOWING, {'user_id': user_id}).scalars())


def _shows_presence(connection: Connection, user_id: int) -> bool:
    return bool(connection.execute(_SHOWS, {'user_id': user_id}).scalar())


def _related() -> Select[int]:
    """The ids of the friends of user ``:user_id`` and of the members of their groups, themselves excluded."""
    user_id: BindParameter[int] = bindparam('user_id')
    low, high = _friendships.c.user_low_id, _friendships.c.user_high_id
    friends = select(case((low == user_id, high), else_=low)).where(
        or_(low == user_id, high == user_id), _friendships.c.status == FriendshipStatus.ACCEPTED)
    me, other = _members.alias('me'), _members.alias('other')
    groups = (select(other.c.user_id)
              .select_from(me.join(_conversations, _conversations.c.id == me.c.conversation_id)
                           .join(other, other.c.conversation_id == me.c.conversation_id))
              .where(me.c.user_id == user_id, _conversations.c.kind == ConversationKind.GROUP,
                     other.c.user_id != user_id))
    return select(union(friends, groups).subquery().c[0])


def _blocks() -> Select[int]:
    """The ids of the people user ``:user_id`` blocks or is blocked by."""
    user_id: BindParameter[int] = bindparam('user_id')
    return select(union(select(_blocking.c.blocked_id).where(_blocking.c.blocker_id == user_id),
                        select(_blocking.c.blocker_id).where(_blocking.c.blocked_id == user_id)).subquery().c[0])


# Built once: these run on every presence change and every page that shows someone's presence (scenario i opens and
# closes 20 pages a second), and building a union statement anew cost more than running it.
_SHOWS = select(_users.c.show_presence).where(_users.c.id == bindparam('user_id'))
_BLOCKS = _blocks()
_RELATED = _related()
_RELATED_SHOWING = (select(_users.c.id).where(_users.c.id.in_(_related()), _users.c.show_presence == true(),
                                              _users.c.id.not_in(_blocks()))
                    .order_by(_users.c.id))
_VISIBLE = select(_users.c.id, _users.c.last_seen_at).where(
    _users.c.id.in_(bindparam('wanted', expanding=True)), _users.c.show_presence == true(),
    _users.c.id.in_(_related()), _users.c.id.not_in(_blocks()))
