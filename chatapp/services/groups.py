"""Groups: creating them and changing who is in them. Every function acts for ``actor_id`` and checks its rules.

The rules: a title of 1-``GROUP_TITLE_MAX`` characters; at most ``settings.max_group_members`` members; the creator
is an admin; any member adds their own friends; admins rename, remove members and make others admin; anyone leaves.
When the last admin leaves, the longest-standing member (earliest ``joined_at``, then lowest id) becomes admin; when
the last member leaves, the group and its messages are deleted.

Each change is one transaction that first locks the conversation row (and then bumps ``last_seq`` for its timeline
event), so concurrent changes and sends are serialised and the member list read after the lock is the one at commit:
two concurrent adds cannot pass the maximum together, and recipients are decided at commit time. Each change writes
a timeline event (``chatapp.timeline``) with the next ``seq``, moves the actor's read position to it and stamps the
conversation's activity time.

Events (who learns what is a security decision):

- ``MessagePosted`` with the timeline event: the members *after* the change (a removed or departed member is not
  told what happens next; a new member hears the event that added them, the first thing they may see).
- ``MembershipChanged``: the members *before and after* the change, so a removed member's views close at once and a
  new member's inbox gains the group. ``set_muted`` tells the actor alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from chatapp import timeline
from chatapp.clock import utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.events import MembershipChanged, MessagePosted
from chatapp.schemas import ChatInfo, MessageData, UserPublic
from chatapp.security.limits import limited
from chatapp.services.conversations import (
    INSERT_MESSAGE,
    MARK_OWN_READ,
    NEXT_SEQ,
    NOT_AVAILABLE,
    NOT_AVAILABLE_CODE,
    chat_info,
    require_access,
)
from chatapp.services.tx import Tx, reads_only
from models import (
    Blocking,
    Conversation,
    ConversationKind,
    ConversationMember,
    Friendship,
    FriendshipStatus,
    MemberRole,
    MessageKind,
    User,
)
from models.conversation import GROUP_TITLE_MAX

NOT_ADMIN = 'Only admins of this group can do that.'
NOT_FRIEND = 'You can only add your own friends to a group.'
NOT_MEMBER = 'That person is not in this group.'


@limited('group_changes')
def create_group(tx: Tx, *, actor_id: int, title: str, member_ids: Sequence[int]) -> ChatInfo:
    """A new group named ``title`` of the actor (its admin) and ``member_ids``, who must be the actor's friends
    (at least one). Its first timeline event says the actor created it; everyone in it hears of it."""
    name = group_title(title)
    wanted = _unique(member_ids, without=actor_id)
    if not wanted:
        raise Invalid('Pick at least one friend for the group.', code='no_members')
    _check_size(tx, 1 + len(wanted))
    friends = _friends_among(tx, actor_id, wanted)
    now = utcnow()
    conversation = Conversation(kind=ConversationKind.GROUP, title=name, created_at=now, last_activity_at=now)
    tx.session.add(conversation)
    tx.session.flush()
    assert conversation.id is not None
    conversation_id = conversation.id
    tx.session.add(ConversationMember(conversation_id=conversation_id, user_id=actor_id, joined_at=now,
                                      role=MemberRole.ADMIN))
    tx.session.add_all([ConversationMember(conversation_id=conversation_id, user_id=friend.id, joined_at=now)
                        for friend in friends])
    tx.session.flush()
    everyone = {actor_id, *wanted}
    _record(tx, conversation_id, _public(tx, actor_id), 'created', friends, title=name, after=everyone)
    _announce(tx, conversation_id, 'created', before=set(), after=everyone, user_ids=sorted(everyone))
    return chat_info(tx.session.connection(), actor_id, conversation_id)


@limited('group_changes')
def add_members(tx: Tx, *, actor_id: int, conversation_id: int, user_ids: Sequence[int]) -> None:
    """Add the actor's friends ``user_ids`` (any member may). Who is already in is skipped; when nobody is left
    to add, nothing changes. New members see the group from the event that added them on (``joined_seq``)."""
    group = _lock(tx, actor_id, conversation_id)
    if not _unique(user_ids, without=actor_id):
        raise Invalid('Pick at least one friend to add.', code='no_members')
    wanted = _unique(user_ids, without=actor_id, skip=group.members)
    if not wanted:
        return
    _check_size(tx, len(group.members) + len(wanted))
    friends = _friends_among(tx, actor_id, wanted)
    now = utcnow()
    joined_seq = group.last_seq  # the event that adds them takes last_seq + 1 below, under the lock
    tx.session.add_all([ConversationMember(conversation_id=conversation_id, user_id=friend.id, joined_at=now,
                                           joined_seq=joined_seq, read_seq=joined_seq) for friend in friends])
    tx.session.flush()
    after = set(group.members) | set(wanted)
    _record(tx, conversation_id, _public(tx, actor_id), 'added', friends, after=after)
    _announce(tx, conversation_id, 'added', before=set(group.members), after=after, user_ids=wanted)


@limited('group_changes')
def remove_member(tx: Tx, *, actor_id: int, conversation_id: int, user_id: int) -> None:
    """Take ``user_id`` out of the group (admins only). They lose access at once: every service refuses them and
    their open views hear ``MembershipChanged(change='removed')``."""
    group = _lock(tx, actor_id, conversation_id)
    _require_admin(group, actor_id)
    if user_id == actor_id:
        raise Invalid('To leave the group, use Leave group.', code='remove_self')
    if user_id not in group.members:
        raise Invalid(NOT_MEMBER, code='not_member')
    target = _public(tx, user_id)
    _delete_member(tx, conversation_id, user_id)
    after = set(group.members) - {user_id}
    _record(tx, conversation_id, _public(tx, actor_id), 'removed', [target], after=after)
    _announce(tx, conversation_id, 'removed', before=set(group.members), after=after, user_ids=[user_id])


def leave_group(tx: Tx, *, actor_id: int, conversation_id: int) -> None:
    """The actor leaves. The last admin leaving makes the longest-standing member admin; the last member leaving
    deletes the group with its messages (then only the actor hears ``change='deleted'``)."""
    group = _lock(tx, actor_id, conversation_id)
    before = set(group.members)
    if before == {actor_id}:
        # ON DELETE CASCADE takes the members and messages (SQLite enforces foreign keys: chatapp.sqlite).
        tx.session.exec(delete(Conversation).where(col(Conversation.id) == conversation_id))
        _announce(tx, conversation_id, 'deleted', before=before, after=set(), user_ids=[actor_id])
        return
    actor = _public(tx, actor_id)
    _delete_member(tx, conversation_id, actor_id)
    remaining = [m for uid, m in group.members.items() if uid != actor_id]
    promoted: list[UserPublic] = []
    if not any(m.role == MemberRole.ADMIN for m in remaining):
        heir = min(remaining, key=lambda m: (m.joined_at, m.user_id))
        _set_role(tx, conversation_id, heir.user_id)
        promoted = [_public(tx, heir.user_id)]
    after = before - {actor_id}
    _record(tx, conversation_id, actor, 'left', promoted, after=after)
    _announce(tx, conversation_id, 'left', before=before, after=after, user_ids=[actor_id])
    if promoted:
        _announce(tx, conversation_id, 'admin', before=after, after=after, user_ids=[promoted[0].id])


@limited('group_changes')
def rename_group(tx: Tx, *, actor_id: int, conversation_id: int, title: str) -> None:
    """Give the group a new name (admins only); the same name again changes nothing."""
    group = _lock(tx, actor_id, conversation_id)
    _require_admin(group, actor_id)
    name = group_title(title)
    if name == group.title:
        return
    tx.session.exec(update(Conversation).where(col(Conversation.id) == conversation_id)
                    .values(title=name))
    members = set(group.members)
    _record(tx, conversation_id, _public(tx, actor_id), 'renamed', [], title=name, after=members)
    _announce(tx, conversation_id, 'renamed', before=members, after=members, user_ids=[])


@limited('group_changes')
def make_admin(tx: Tx, *, actor_id: int, conversation_id: int, user_id: int) -> None:
    """Make the member ``user_id`` an admin (admins only); an admin already changes nothing."""
    group = _lock(tx, actor_id, conversation_id)
    _require_admin(group, actor_id)
    target = group.members.get(user_id)
    if target is None:
        raise Invalid(NOT_MEMBER, code='not_member')
    if target.role == MemberRole.ADMIN:
        return
    _set_role(tx, conversation_id, user_id)
    members = set(group.members)
    _record(tx, conversation_id, _public(tx, actor_id), 'admin', [_public(tx, user_id)], after=members)
    _announce(tx, conversation_id, 'admin', before=members, after=members, user_ids=[user_id])


def set_muted(tx: Tx, *, actor_id: int, conversation_id: int, muted: bool) -> None:
    """Mute or unmute any conversation the actor may use, for the actor alone: no timeline event, and only the
    actor's own views hear ``MembershipChanged(change='muted')``."""
    require_access(tx.session.connection(), actor_id, conversation_id)
    tx.session.exec(update(ConversationMember)
                    .where(col(ConversationMember.conversation_id) == conversation_id,
                           col(ConversationMember.user_id) == actor_id)
                    .values(muted=muted))
    tx.emit(MembershipChanged(recipients=(actor_id,), conversation_id=conversation_id, user_ids=(actor_id,),
                              change='muted'))


@reads_only
def addable_friends(tx: Tx, *, actor_id: int, conversation_id: int) -> list[UserPublic]:
    """The actor's friends who are not in the group, by username: whom the actor may add."""
    access = require_access(tx.session.connection(), actor_id, conversation_id)
    if access.kind != ConversationKind.GROUP:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    members = select(ConversationMember.user_id).where(ConversationMember.conversation_id == conversation_id)
    users = tx.session.exec(_friends_query(actor_id).where(col(User.id).not_in(members)).order_by(User.username))
    return [UserPublic.model_validate(user) for user in users]


def group_title(title: str) -> str:
    """The name to store for ``title`` (stripped), or ``Invalid`` whose ``code`` names the problem."""
    name = title.strip()
    if not name:
        raise Invalid('Give the group a name.', code='title_blank')
    if len(name) > GROUP_TITLE_MAX:
        raise Invalid(f'A group name can be at most {GROUP_TITLE_MAX} characters long ({len(name)} now).',
                      code='title_too_long')
    if any(ch < ' ' or ch == '\x7f' or '\ud800' <= ch <= '\udfff' for ch in name):
        raise Invalid('A group name cannot contain line breaks or control characters.', code='title_bad_character')
    return name


@dataclass(frozen=True)
class _Group:
    """A group as read under its row lock: stays true until the transaction ends."""

    id: int
    title: str
    last_seq: int
    members: dict[int, ConversationMember]


def _lock(tx: Tx, actor_id: int, conversation_id: int) -> _Group:
    """Lock the group's row (``FOR UPDATE`` on PostgreSQL; SQLite serialises transactions), then read its members.
    ``NotFound`` unless it is a group and the actor is in it: the same refusal as every other service."""
    conversation = tx.session.exec(select(Conversation).where(Conversation.id == conversation_id)
                                   .with_for_update().execution_options(populate_existing=True)).first()
    if conversation is None or conversation.kind != ConversationKind.GROUP:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    rows = tx.session.exec(select(ConversationMember).where(ConversationMember.conversation_id == conversation_id)
                           .execution_options(populate_existing=True)).all()
    members = {row.user_id: row for row in rows}
    if actor_id not in members:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    assert conversation.id is not None
    return _Group(conversation.id, conversation.title or '', conversation.last_seq, members)


def _require_admin(group: _Group, actor_id: int) -> None:
    if group.members[actor_id].role != MemberRole.ADMIN:
        raise Invalid(NOT_ADMIN, code='not_admin')


def _check_size(tx: Tx, count: int) -> None:
    limit = tx.deps.settings.max_group_members
    if count > limit:
        raise Invalid(f'A group can have at most {limit} members.', code='too_many')


def _unique(ids: Iterable[int], *, without: int, skip: Iterable[int] = ()) -> list[int]:
    """``ids`` in their order, once each, without ``without`` and ``skip``."""
    skipped = {without, *skip}
    return list(dict.fromkeys(i for i in ids if i not in skipped))


def _friends_query(actor_id: int) -> SelectOfScalar[User]:
    other = col(Friendship.user_low_id) + col(Friendship.user_high_id) - actor_id
    return (select(User).join(Friendship, col(User.id) == other)
            .where(or_(col(Friendship.user_low_id) == actor_id, col(Friendship.user_high_id) == actor_id),
                   col(Friendship.status) == FriendshipStatus.ACCEPTED))


def _friends_among(tx: Tx, actor_id: int, ids: list[int]) -> list[UserPublic]:
    """``ids`` as people, in that order, or ``Invalid`` unless every one is the actor's friend."""
    blocks = select(Blocking.blocker_id).where(col(Blocking.blocked_id) == actor_id).union(
        select(Blocking.blocked_id).where(col(Blocking.blocker_id) == actor_id))
    # Nobody who blocks the actor (or whom the actor blocks) is added: the same refusal as for a non-friend, so the
    # adder learns nothing. A block ends the friendship anyway; this also holds against a block racing the add.
    found = {user.id: UserPublic.model_validate(user) for user in tx.session.exec(
        _friends_query(actor_id).where(col(User.id).in_(ids), col(User.id).not_in(blocks)))}
    if len(found) != len(ids):
        raise Invalid(NOT_FRIEND, code='not_friend')
    return [found[i] for i in ids]


def _public(tx: Tx, user_id: int) -> UserPublic:
    return UserPublic.model_validate(tx.session.get_one(User, user_id))


def _delete_member(tx: Tx, conversation_id: int, user_id: int) -> None:
    tx.session.exec(delete(ConversationMember).where(
        col(ConversationMember.conversation_id) == conversation_id, col(ConversationMember.user_id) == user_id))


def _set_role(tx: Tx, conversation_id: int, user_id: int) -> None:
    tx.session.exec(update(ConversationMember).where(
        col(ConversationMember.conversation_id) == conversation_id, col(ConversationMember.user_id) == user_id)
        .values(role=MemberRole.ADMIN))


def _record(tx: Tx, conversation_id: int, actor: UserPublic, kind: timeline.EventKind,
            targets: Sequence[UserPublic], *, after: set[int], title: str | None = None) -> MessageData:
    """Write the timeline event as the next message, mark it read by the actor (when still a member), stamp the
    activity time, and tell the members ``after`` the change."""
    connection = tx.session.connection()
    now = utcnow()
    seq, _ = connection.execute(NEXT_SEQ, {'conversation_id': conversation_id, 'now': now}).one()
    values = {'conversation_id': conversation_id, 'seq': seq, 'sender_id': actor.id, 'created_at': now,
              'body': timeline.encode(kind, actor, targets, title), 'kind': MessageKind.EVENT}
    message_id = connection.execute(INSERT_MESSAGE, {**values, 'client_txn': None}).scalar_one()
    connection.execute(MARK_OWN_READ, {'in_conversation': conversation_id, 'actor_id': actor.id, 'seq': seq,
                                       'now': now})
    message = MessageData(id=message_id, **values)
    tx.emit(MessagePosted(recipients=tuple(sorted(after)), message=message))
    return message


Change = Literal['created', 'added', 'removed', 'left', 'renamed', 'admin', 'deleted']


def _announce(tx: Tx, conversation_id: int, change: Change, *, before: set[int], after: set[int],
              user_ids: Iterable[int]) -> None:
    tx.emit(MembershipChanged(recipients=tuple(sorted(before | after)), conversation_id=conversation_id,
                              user_ids=tuple(user_ids), change=change))

