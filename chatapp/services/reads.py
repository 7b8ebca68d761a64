"""Read positions and read receipts.

A member's read position (``ConversationMember.read_seq``) only moves forward and never past the conversation's
``last_seq``; unread is ``last_seq - read_seq``, so nothing here ever counts message rows.

Events: ``mark_read`` emits ``ReadMoved`` only when the position moved. Recipients: the reader (all their tabs clear
their badges) and, when the reader shares read receipts, the other members who wrote one of the messages the
position moved over and share theirs (the setting is reciprocal: who hides their receipts neither sends nor sees
any). Only they show something that changed: a receipt sits under its sender's own last message, and that message is
among the ones passed over, or the position did not cross it. Sending the move to every member instead made a group
of 100 cost 100 x 100 deliveries for every message everyone read.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, update
from sqlalchemy import select as core_select

from chatapp.clock import as_utc, utcnow
from chatapp.events import ReadMoved
from chatapp.schemas import Receipt
from chatapp.services.conversations import core_table, require_access
from chatapp.services.tx import Tx
from models import Conversation, ConversationMember, Friendship, Message, MessageKind, User

conversations = core_table(Conversation)
members = core_table(ConversationMember)
friendships = core_table(Friendship)
users = core_table(User)
messages = core_table(Message)


_POSITION = (core_select(conversations.c.last_seq, members.c.read_seq)
             .select_from(members.join(conversations, conversations.c.id == members.c.conversation_id))
             .where(members.c.conversation_id == bindparam('conversation_id'),
                    members.c.user_id == bindparam('actor_id')))
_MOVE = (update(members)
         .where(members.c.conversation_id == bindparam('b_conversation_id'),
                members.c.user_id == bindparam('b_actor_id'), members.c.read_seq < bindparam('b_seq'))
         .values(read_seq=bindparam('b_seq'), read_at=bindparam('b_now'))
         .returning(members.c.read_seq))
"""Parameters named apart from the columns: an UPDATE reserves the column names for its SET clause."""
_SHARES = core_select(users.c.read_receipts).where(users.c.id == bindparam('actor_id'))
_SENDERS_PASSED = (
    core_select(messages.c.sender_id).distinct()
    .select_from(messages
                 .join(members, (members.c.conversation_id == messages.c.conversation_id)
                       & (members.c.user_id == messages.c.sender_id))
                 .join(users, users.c.id == messages.c.sender_id))
    .where(messages.c.conversation_id == bindparam('conversation_id'), messages.c.seq > bindparam('after_seq'),
           messages.c.seq <= bindparam('upto_seq'), messages.c.sender_id != bindparam('actor_id'),
           messages.c.kind == MessageKind.TEXT, users.c.read_receipts.is_(True)))
"""Current members who wrote a message in a range of ``seq`` and share receipts (the conversation's unique (id, seq)
index bounds the scan to the range)."""
_MEMBERS = (core_select(members.c.user_id, members.c.read_seq, members.c.read_at, users.c.read_receipts)
            .select_from(members.join(users, users.c.id == members.c.user_id))
            .where(members.c.conversation_id == bindparam('conversation_id'))
            .order_by(members.c.user_id))


def mark_read(tx: Tx, *, actor_id: int, conversation_id: int, seq: int) -> int:
    """Move the actor's read position to ``seq`` (clamped to the conversation's ``last_seq``); returns the position.

    A ``seq`` at or below the current position changes nothing and emits nothing, so tabs that report what they show
    in any order cannot move it back. When it moves, ``read_at`` becomes now and ``ReadMoved`` goes to the actor and
    to the members whose receipts it changes (see the module docstring; nobody else)."""
    connection = tx.session.connection()
    require_access(connection, actor_id, conversation_id)
    position = connection.execute(_POSITION, {'conversation_id': conversation_id, 'actor_id': actor_id}).one()
    target = max(0, min(seq, position.last_seq))
    if target <= position.read_seq:
        return position.read_seq
    now = utcnow()
    params = {'b_conversation_id': conversation_id, 'b_actor_id': actor_id, 'b_seq': target, 'b_now': now}
    if connection.execute(_MOVE, params).first() is None:
        return target  # another tab of the actor moved it at least this far meanwhile, and announced it
    audience = _read_audience(connection, actor_id, conversation_id, after_seq=position.read_seq, upto_seq=target)
    tx.emit(ReadMoved(recipients=audience, conversation_id=conversation_id, user_id=actor_id, read_seq=target,
                      read_at=now))
    return target


def receipts(tx: Tx, *, actor_id: int, conversation_id: int) -> list[Receipt]:
    """How far each other member has read, for those who allow read receipts; none at all when the actor does not
    (reciprocal)."""
    connection = tx.session.connection()
    require_access(connection, actor_id, conversation_id)
    rows = connection.execute(_MEMBERS, {'conversation_id': conversation_id}).all()
    if not any(row.user_id == actor_id and row.read_receipts for row in rows):
        return []
    return [Receipt(user_id=row.user_id, read_seq=row.read_seq,
                    read_at=as_utc(row.read_at) if row.read_at is not None else None)
            for row in rows if row.user_id != actor_id and row.read_receipts]


def _read_audience(connection: Connection, actor_id: int, conversation_id: int, *, after_seq: int,
                   upto_seq: int) -> tuple[int, ...]:
    """The actor, plus (when the actor shares receipts) the members sharing theirs who wrote a message in
    ``(after_seq, upto_seq]``."""
    if not connection.execute(_SHARES, {'actor_id': actor_id}).scalar():
        return (actor_id,)
    params = {'conversation_id': conversation_id, 'after_seq': after_seq, 'upto_seq': upto_seq, 'actor_id': actor_id}
    senders = connection.execute(_SENDERS_PASSED, params).scalars().all()
    return tuple(sorted({actor_id, *senders}))
