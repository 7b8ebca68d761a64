"""Messages as pages and the broker see them: the stored row, plus what other rows say about it (its reactions, the
message it quotes).

Most messages have neither, so those reads are skipped unless a row needs them: reactions only exist on a message
that has changed (``change_seq > 0``), quotes only on a reply (``reply_seq``). Attachments are read for every page
(one indexed statement: nothing on the message row says it carries one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam
from sqlalchemy import select as core_select

from chatapp.clock import as_utc
from chatapp.schemas import MessageData, Quote, Reactions
from chatapp.services.attached import attachments_of
from chatapp.services.tables import core_table
from models import Message, Reaction

QUOTE_CHARS = 120
"""How much of the quoted message's first line a reply shows."""


_messages = core_table(Message)
_reactions = core_table(Reaction)
_m = _messages.c
COLUMNS = (_m.id, _m.conversation_id, _m.seq, _m.sender_id, _m.body, _m.created_at, _m.kind, _m.edited_at,
           _m.deleted_at, _m.change_seq, _m.reply_seq)
"""What every read of messages selects; ``message_data`` reads rows of these."""
_REACTIONS = (core_select(_reactions.c.message_id, _reactions.c.emoji, _reactions.c.user_id)
              .where(_reactions.c.message_id.in_(bindparam('ids', expanding=True)))
              .order_by(_reactions.c.created_at, _reactions.c.user_id))
_QUOTED = (core_select(_m.seq, _m.sender_id, _m.body, _m.deleted_at)
           .where(and_(_m.conversation_id == bindparam('conversation_id'),
                       _m.seq.in_(bindparam('seqs', expanding=True)))))


def message_data(connection: Connection, rows: Iterable[Any]) -> list[MessageData]:
    """The messages of ``rows`` (of ``COLUMNS``, one conversation, in order), with their reactions and quotes; times
    UTC-aware on every backend (SQLite reads them back naive)."""
    rows = list(rows)
    reactions = reactions_of(connection, [row.id for row in rows if row.change_seq])
    replies = [row for row in rows if row.reply_seq is not None]
    quotes = quotes_of(connection, replies[0].conversation_id, {row.reply_seq for row in replies}) \
        if replies else {}
    carried = attachments_of(connection, [row.id for row in rows if row.kind == 'text' and row.deleted_at is None])
    return [MessageData(id=row.id, conversation_id=row.conversation_id, seq=row.seq, sender_id=row.sender_id,
                        body=row.body, created_at=as_utc(row.created_at), kind=row.kind,
                        edited_at=utc_or_none(row.edited_at), deleted=row.deleted_at is not None,
                        change_seq=row.change_seq, reply=quotes.get(row.reply_seq),
                        reactions=reactions.get(row.id, ()), attachment=carried.get(row.id))
            for row in rows]


def reactions_of(connection: Connection, message_ids: Sequence[int]) -> dict[int, tuple[Reactions, ...]]:
    """Each message's reactions, grouped by emoji in the order each emoji was first used."""
    if not message_ids:
        return {}
    found: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for message_id, emoji, user_id in connection.execute(_REACTIONS, {'ids': list(message_ids)}):
        found[message_id].setdefault(emoji, []).append(user_id)
    return {message_id: tuple(Reactions(emoji=emoji, user_ids=tuple(users)) for emoji, users in by_emoji.items())
            for message_id, by_emoji in found.items()}


def quotes_of(connection: Connection, conversation_id: int, seqs: Iterable[int]) -> dict[int, Quote]:
    """The quotes of the messages ``seqs`` of a conversation, by seq."""
    rows = connection.execute(_QUOTED, {'conversation_id': conversation_id, 'seqs': sorted(seqs)})
    return {row.seq: quote(row.seq, row.sender_id, row.body, deleted=row.deleted_at is not None) for row in rows}


def quote(seq: int, sender_id: int, body: str, *, deleted: bool) -> Quote:
    """How a reply quotes a message: the start of its first line (nothing of a deleted one)."""
    first_line = '' if deleted else body.strip().split('\n', 1)[0]
    if len(first_line) > QUOTE_CHARS:
        first_line = first_line[:QUOTE_CHARS - 1].rstrip() + '…'
    return Quote(seq=seq, sender_id=sender_id, excerpt=first_line, deleted=deleted)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
