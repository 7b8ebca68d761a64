"""Read positions and read receipts.

A member's read position (``ConversationMember.read_seq``) only moves forward and never past the conversation's
``last_seq``; unread is ``last_seq - read_seq``, so nothing here ever counts message rows.

Events: ``mark_read`` emits ``ReadMoved`` only when the position moved. Recipients: the reader (all their tabs clear
their badges) and, when the reader shares read receipts, the other members who wrote one of the messages the
position moved over and share theirs (the setting is reciprocal: who hides their receipts neither sends nor sees
any). Only they show something that changed: a receipt sits under its sender's own last message, and that message is
among the ones passed over, or the position did not cross it. Sending the move to every member instead made a group
of 100 cost 100 x 100 deliveries for every message everyone read.

Pages do not call ``mark_read`` one by one: ``chatapp.read_marker`` gathers what every page of the process has seen
and writes it with ``mark_reads``, one transaction for all of them (each reader checked and announced alone). A
group of 100 whose members all read each message cost 100 transactions a second that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, update
from sqlalchemy import select as core_select

from chatapp.clock import as_utc, utcnow
from chatapp.errors import NotFound
from chatapp.events import ReadMoved
from chatapp.schemas import Receipt
from chatapp.services.conversations import NOT_AVAILABLE, NOT_AVAILABLE_CODE, core_table, positions, require_access
from chatapp.services.tx import Tx, reads_only
from models import ConversationMember, Message, MessageKind, User

members = core_table(ConversationMember)
users = core_table(User)
messages = core_table(Message)


_MOVE = (update(members)
         .where(members.c.conversation_id == bindparam('b_conversation_id'),
                members.c.user_id.in_(bindparam('b_actor_ids', expanding=True)),
                members.c.read_seq < bindparam('b_seq'))
         .values(read_seq=bindparam('b_seq'), read_at=bindparam('b_now'))
         .returning(members.c.user_id))
"""Parameters named apart from the columns: an UPDATE reserves the column names for its SET clause."""
_SHARING = core_select(users.c.id).where(users.c.id.in_(bindparam('actor_ids', expanding=True)),
                                         users.c.read_receipts.is_(True))
_SENDERS_PASSED = (
    core_select(messages.c.sender_id).distinct()
    .select_from(messages
                 .join(members, (members.c.conversation_id == messages.c.conversation_id)
                       & (members.c.user_id == messages.c.sender_id))
                 .join(users, users.c.id == messages.c.sender_id))
    .where(messages.c.conversation_id == bindparam('conversation_id'), messages.c.seq > bindparam('after_seq'),
           messages.c.seq <= bindparam('upto_seq'), messages.c.kind == MessageKind.TEXT,
           users.c.read_receipts.is_(True)))
"""Current members who wrote a message in a range of ``seq`` and share receipts (the conversation's unique (id, seq)
index bounds the scan to the range)."""
_MEMBERS = (core_select(members.c.user_id, members.c.read_seq, members.c.read_at, users.c.read_receipts)
            .select_from(members.join(users, users.c.id == members.c.user_id))
            .where(members.c.conversation_id == bindparam('conversation_id'))
            .order_by(members.c.user_id))


@dataclass(frozen=True)
class Mark:
    """``actor_id`` has seen ``conversation_id`` up to ``seq``."""

    actor_id: int
    conversation_id: int
    seq: int


def mark_read(tx: Tx, *, actor_id: int, conversation_id: int, seq: int) -> int:
    """Move the actor's read position to ``seq`` (clamped to the conversation's ``last_seq``); returns the position.

    A ``seq`` at or below the current position changes nothing and emits nothing, so tabs that report what they show
    in any order cannot move it back. When it moves, ``read_at`` becomes now and ``ReadMoved`` goes to the actor and
    to the members whose receipts it changes (see the module docstring; nobody else)."""
    position = mark_reads(tx, marks=[Mark(actor_id, conversation_id, seq)])[actor_id, conversation_id]
    if position is None:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    return position


def mark_reads(tx: Tx, *, marks: Sequence[Mark]) -> dict[tuple[int, int], int | None]:
    """``mark_read`` for many readers in one transaction (``chatapp.read_marker`` gathers the marks of every page of
    the process): each mark is checked for its own actor and moves, announces or is refused alone.

    Returns each ``(actor_id, conversation_id)``'s position, or None where that actor may not use that conversation
    (``mark_read``'s ``NotFound``; nothing is written for them). Several marks of one reader in one conversation count
    as the furthest. Statements: one for who shares receipts, and per conversation one for the access and positions
    of all its readers, one update per distinct target and one for the senders per distinct range moved over."""
    wanted: dict[int, dict[int, int]] = {}
    for mark in marks:
        readers = wanted.setdefault(mark.conversation_id, {})
        readers[mark.actor_id] = max(mark.seq, readers.get(mark.actor_id, mark.seq))
    connection = tx.session.connection()
    actor_ids = sorted({mark.actor_id for mark in marks})
    sharing = set(connection.execute(_SHARING, {'actor_ids': actor_ids}).scalars()) if actor_ids else set()
    now = utcnow()
    results: dict[tuple[int, int], int | None] = {}
    for conversation_id in sorted(wanted):  # one order in every process: row locks are taken in that order
        readers = wanted[conversation_id]
        allowed = positions(connection, readers, conversation_id)
        targets: dict[int, list[int]] = {}
        for actor_id, seq in readers.items():
            position = allowed.get(actor_id)
            if position is None:
                results[actor_id, conversation_id] = None
                continue
            target = max(0, min(seq, position.last_seq))
            results[actor_id, conversation_id] = max(target, position.read_seq)
            if target > position.read_seq:
                targets.setdefault(target, []).append(actor_id)
        ranges: dict[tuple[int, int], list[int]] = {}
        for target, ids in sorted(targets.items()):
            params = {'b_conversation_id': conversation_id, 'b_actor_ids': sorted(ids), 'b_seq': target, 'b_now': now}
            # One that did not move was moved at least this far meanwhile by another tab of theirs, which announced it.
            for actor_id in connection.execute(_MOVE, params).scalars():
                ranges.setdefault((allowed[actor_id].read_seq, target), []).append(actor_id)
        for (after_seq, upto_seq), moved in sorted(ranges.items()):
            senders = _senders_passed(connection, conversation_id, after_seq, upto_seq) \
                if sharing.intersection(moved) else set()
            for actor_id in sorted(moved):
                audience = {actor_id, *senders} if actor_id in sharing else {actor_id}
                tx.emit(ReadMoved(recipients=tuple(sorted(audience)), conversation_id=conversation_id,
                                  user_id=actor_id, read_seq=upto_seq, read_at=now))
    return results


@reads_only
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


def _senders_passed(connection: Connection, conversation_id: int, after_seq: int, upto_seq: int) -> set[int]:
    """The members sharing receipts who wrote a message in ``(after_seq, upto_seq]``: the receipts a move over that
    range changes (a reader's own messages included; the caller leaves the reader out)."""
    params = {'conversation_id': conversation_id, 'after_seq': after_seq, 'upto_seq': upto_seq}
    return set(connection.execute(_SENDERS_PASSED, params).scalars())
