"""Blocking: one person stops another from reaching them. The blocked person is never told.

A block ends the pair's friendship or pending request (both hear ``FriendshipChanged(status='removed')``, as for an
unfriend, so their open pages update and learn nothing more) and, while it stands, refuses friend requests either
way (``services.friendships``), refuses adding the blocker to groups (``services.groups``: the adder gets the same
refusal as for someone who is not their friend), and keeps the blocker's presence and typing from the blocked
person and the other way round (``services.presence``, which also filters the typing audience). In shared groups the
chat view collapses the blocked person's messages for the blocker (``blocked_ids``).

Events: ``FriendshipChanged`` when a block ended a friendship or request; nothing else (unblocking changes nothing
anyone sees at once).
"""

from __future__ import annotations

from sqlalchemy import delete, exc, or_
from sqlmodel import Session, col, select

from chatapp.errors import Invalid, NotFound
from chatapp.events import FriendshipChanged
from chatapp.schemas import UserPublic
from chatapp.security.limits import limited
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import require_user
from models import Blocking, Friendship, User

NOT_BLOCKED = 'You have not blocked this person.'


@limited('friend_requests')
def block(tx: Tx, *, actor_id: int, user_id: int) -> None:
    """The actor blocks ``user_id``: their friendship or pending request ends. Blocking twice changes nothing."""
    if actor_id == user_id:
        raise Invalid('You cannot block yourself.', code='block_self')
    require_user(tx.session, user_id)
    if not has_blocked(tx.session, actor_id, user_id):
        try:
            with tx.session.begin_nested():
                tx.session.add(Blocking(blocker_id=actor_id, blocked_id=user_id))
        except exc.IntegrityError:
            pass  # a concurrent block of the same pair was stored first: the same outcome
    low, high = sorted((actor_id, user_id))
    ended = tx.session.exec(delete(Friendship).where(
        col(Friendship.user_low_id) == low, col(Friendship.user_high_id) == high))
    if ended.rowcount:
        tx.emit(FriendshipChanged(recipients=(actor_id, user_id), user_ids=(actor_id, user_id), status='removed'))


@limited('friend_requests')
def unblock(tx: Tx, *, actor_id: int, user_id: int) -> None:
    """The actor lifts their block of ``user_id``; nothing else comes back (no friendship, no request)."""
    removed = tx.session.exec(delete(Blocking).where(
        col(Blocking.blocker_id) == actor_id, col(Blocking.blocked_id) == user_id))
    if not removed.rowcount:
        raise NotFound(NOT_BLOCKED, code='not_blocked')


@reads_only
def blocked_list(tx: Tx, *, actor_id: int) -> list[UserPublic]:
    """The people the actor has blocked, by username (their settings list them with "Unblock")."""
    users = tx.session.exec(select(User).join(Blocking, col(Blocking.blocked_id) == col(User.id))
                            .where(col(Blocking.blocker_id) == actor_id).order_by(User.username))
    return [UserPublic.model_validate(user) for user in users]


@reads_only
def blocked_ids(tx: Tx, *, actor_id: int) -> list[int]:
    """The ids of the people the actor has blocked, ascending: the chat view collapses their messages in groups."""
    return list(tx.session.exec(select(Blocking.blocked_id).where(col(Blocking.blocker_id) == actor_id)
                                .order_by(col(Blocking.blocked_id))))


def has_blocked(session: Session, blocker_id: int, blocked_id: int) -> bool:
    """Whether ``blocker_id`` blocks ``blocked_id`` (one direction)."""
    return session.get(Blocking, (blocker_id, blocked_id)) is not None


def either_blocks(session: Session, a: int, b: int) -> bool:
    """Whether ``a`` blocks ``b`` or ``b`` blocks ``a``: one query."""
    return session.exec(select(Blocking.blocker_id).where(or_(
        (col(Blocking.blocker_id) == a) & (col(Blocking.blocked_id) == b),
        (col(Blocking.blocker_id) == b) & (col(Blocking.blocked_id) == a))).limit(1)).first() is not None
