"""One-to-one conversations and their messages. Only friends may read or write a direct conversation.

Events: ``send_message`` emits ``MessagePosted`` to the conversation's members and to nobody else.

Sending and reading messages is the hot path, so it uses Core statements built once at import (SQLAlchemy caches
their compiled SQL; building and ORM-loading them anew on every call cost more CPU than SQLite itself) and rows
rather than ORM objects. The rest stays with the ORM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, case, exc, func, insert, inspect, update
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, select

from chatapp.clock import as_utc, utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.events import MessagePosted
from chatapp.schemas import ChatInfo, MessageData, UserPublic
from chatapp.security.limits import limited
from chatapp.services.friendships import are_friends
from chatapp.services.tx import Tx
from chatapp.services.users import find_by_username, require_user
from models import Conversation, ConversationMember, Friendship, FriendshipStatus, Message
from models.message import MAX_MESSAGE_LENGTH, TXN_MAX_LENGTH

PAGE_SIZE = 50
CATCH_UP_LIMIT = 500
TXN_PATTERN = re.compile(rf'[A-Za-z0-9_-]{{8,{TXN_MAX_LENGTH}}}')
"""A send's transaction id, as pages make them (see ``Message.client_txn``)."""
NOT_AVAILABLE = 'This conversation is not available. You can only chat with your friends.'
NOT_AVAILABLE_CODE = 'not_available'
"""The ``code`` of that refusal: a view that gets it closes the conversation."""


def _table(model: type[SQLModel]) -> Table:
    """The Core table of ``model``: statements on it run without the ORM's per-call work."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


_conversations = _table(Conversation)
_members = _table(ConversationMember)
_friendships = _table(Friendship)
_messages = _table(Message)

# Access in one query: one row per other member the actor is paired with, with the pair's status and the number of
# members. Inner joins only, because PostgreSQL cannot lock the nullable side of an outer join; a member without a
# friendship row therefore shows as a row short of the count.
_me = _members.alias('me')
_other = _members.alias('other')
_low_first = _other.c.user_id < _me.c.user_id
_member_count = core_select(func.count()).select_from(_members) \
    .where(_members.c.conversation_id == _me.c.conversation_id).scalar_subquery()
_ACCESS = (
    core_select(_other.c.user_id, _friendships.c.status, _member_count.label('members'))
    .select_from(
        _me.join(_other, and_(_other.c.conversation_id == _me.c.conversation_id, _other.c.user_id != _me.c.user_id))
        .join(_friendships, and_(
            _friendships.c.user_low_id == case((_low_first, _other.c.user_id), else_=_me.c.user_id),
            _friendships.c.user_high_id == case((_low_first, _me.c.user_id), else_=_other.c.user_id))))
    .where(_me.c.conversation_id == bindparam('conversation_id'), _me.c.user_id == bindparam('actor_id'))
)
_ACCESS_HELD = _ACCESS.with_for_update(read=True, of=_friendships)
"""``FOR SHARE OF friendship`` on PostgreSQL (nothing on SQLite, whose transactions are serialised anyway)."""

# Incrementing the counter locks the conversation row until commit, so sequence order is commit order.
_NEXT_SEQ = (update(_conversations).where(_conversations.c.id == bindparam('conversation_id'))
             .values(last_seq=_conversations.c.last_seq + 1).returning(_conversations.c.last_seq))
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_SENT = (core_select(_messages.c.id, _messages.c.conversation_id, _messages.c.seq, _messages.c.sender_id,
                     _messages.c.body, _messages.c.created_at)
         .where(_messages.c.sender_id == bindparam('sender_id'), _messages.c.client_txn == bindparam('txn')))

_m = _messages.c
_NEWEST = (core_select(_m.id, _m.conversation_id, _m.seq, _m.sender_id, _m.body, _m.created_at)
           .where(_m.conversation_id == bindparam('conversation_id'))
           .order_by(_m.seq.desc()).limit(bindparam('limit')))
_OLDER = _NEWEST.where(_m.seq < bindparam('before_seq'))
_NEWER = (core_select(_m.id, _m.conversation_id, _m.seq, _m.sender_id, _m.body, _m.created_at)
          .where(_m.conversation_id == bindparam('conversation_id'), _m.seq > bindparam('after_seq'))
          .order_by(_m.seq).limit(CATCH_UP_LIMIT))


def open_direct(tx: Tx, *, actor_id: int, peer_username: str) -> ChatInfo:
    """The actor's conversation with the friend ``peer_username`` and its newest page, created on first use."""
    peer = find_by_username(tx.session, peer_username)
    if peer is None or peer.id is None or peer.id == actor_id or not are_friends(tx.session, actor_id, peer.id):
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    me = require_user(tx.session, actor_id)
    conversation = _direct_conversation(tx.session, actor_id, peer.id)
    assert conversation.id is not None
    newest = _page(tx.session.connection(), conversation.id, before_seq=None, limit=PAGE_SIZE + 1)
    return ChatInfo(conversation_id=conversation.id, me=UserPublic.model_validate(me),
                    peer=UserPublic.model_validate(peer), messages=newest[-PAGE_SIZE:],
                    has_earlier=len(newest) > PAGE_SIZE)


@limited('messages')
def send_message(tx: Tx, *, actor_id: int, conversation_id: int, body: str, txn: str | None = None
                 ) -> MessageData:
    """Store ``body`` as the conversation's next message; members hear it only after the commit.

    ``txn`` is the sending page's id for this send. A send repeated with the same ``txn`` (a retry after a timeout,
    a page that re-sends what it had not seen confirmed after a restart) returns the message stored the first time
    and stores nothing. The check runs after the sequence counter is taken, which locks the conversation row: two
    copies of one send are serialised there, and the second sees the first (the unique index backs this up)."""
    text = message_text(body)
    if txn is not None and not TXN_PATTERN.fullmatch(txn):
        raise Invalid('This message could not be sent. Reload the page and try again.', code='bad_txn')
    connection = tx.session.connection()
    members = _require_access(connection, actor_id, conversation_id, hold=True)
    seq = connection.execute(_NEXT_SEQ, {'conversation_id': conversation_id}).scalar_one()
    if txn is not None and (sent := connection.execute(_SENT, {'sender_id': actor_id, 'txn': txn}).first()):
        tx.session.rollback()  # gives the sequence number back: nothing new is stored or announced
        (stored,) = _message_data([sent])
        if stored.conversation_id != conversation_id:
            raise Invalid('This message could not be sent. Reload the page and try again.', code='bad_txn')
        return stored
    values = {'conversation_id': conversation_id, 'seq': seq, 'sender_id': actor_id, 'body': text,
              'created_at': utcnow()}
    message_id = connection.execute(_INSERT_MESSAGE, {**values, 'client_txn': txn}).scalar_one()
    data = MessageData(id=message_id, **values)
    tx.emit(MessagePosted(recipients=tuple(members), message=data))
    return data


def message_text(body: str) -> str:
    """The text to store for ``body`` (stripped), or ``Invalid`` whose ``code`` names the problem."""
    text = body.strip()
    if not text:
        raise Invalid(problem_message('blank'), code='blank')
    if '\x00' in text:
        raise Invalid(problem_message('nul'), code='nul')
    if any('\ud800' <= character <= '\udfff' for character in text):
        raise Invalid(problem_message('surrogate'), code='surrogate')
    if len(text) > MAX_MESSAGE_LENGTH:
        raise Invalid(problem_message('too_long', len(text)), code='too_long')
    return text


def problem_message(code: str, length: int = 0) -> str:
    """What a person reads when a message cannot be sent, for each ``Invalid.code`` of ``message_text``: pages that
    find the problem before sending (the browser checks too) show the same words."""
    return {
        'blank': 'Type a message first.',
        'nul': 'A message cannot contain NUL characters.',
        'surrogate': 'This text contains a broken character (half of an emoji?). Remove it and send again.',
        'too_long': f'A message can be at most {MAX_MESSAGE_LENGTH:,} characters long ({length:,} now).',
    }.get(code, 'This message cannot be sent.')


def messages_before(tx: Tx, *, actor_id: int, conversation_id: int, before_seq: int | None,
                    limit: int = PAGE_SIZE) -> list[MessageData]:
    """Up to ``limit`` messages older than ``before_seq`` (``None``: the newest ones), oldest first."""
    connection = tx.session.connection()
    _require_access(connection, actor_id, conversation_id)
    return _page(connection, conversation_id, before_seq=before_seq, limit=max(0, min(limit, PAGE_SIZE)))


def messages_after(tx: Tx, *, actor_id: int, conversation_id: int, after_seq: int) -> list[MessageData]:
    """Messages newer than ``after_seq``, oldest first: how a view catches up after a gap or a reconnect."""
    connection = tx.session.connection()
    _require_access(connection, actor_id, conversation_id)
    rows = connection.execute(_NEWER, {'conversation_id': conversation_id, 'after_seq': after_seq})
    return _message_data(rows)


def _require_access(connection: Connection, actor_id: int, conversation_id: int, *, hold: bool = False) -> list[int]:
    """The member ids, when the actor may use this conversation: a member, and still friends with every other one
    (``hold``: and stays friends until this transaction commits, see ``are_friends``)."""
    params = {'conversation_id': conversation_id, 'actor_id': actor_id}
    rows = connection.execute(_ACCESS_HELD if hold else _ACCESS, params).all()
    others = [other for other, status, _ in rows if status == FriendshipStatus.ACCEPTED]
    if rows and len(others) == rows[0].members - 1:
        return sorted([actor_id, *others])
    # No row: not a member, or not paired with anyone in it (a direct conversation always has its two members).
    raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)


def _direct_conversation(session: Session, a: int, b: int) -> Conversation:
    low, high = sorted((a, b))
    key = f'{low}:{high}'
    conversation = session.exec(select(Conversation).where(Conversation.direct_key == key)).first()
    if conversation is not None:
        return conversation
    try:
        with session.begin_nested():
            conversation = Conversation(kind='direct', direct_key=key)
            session.add(conversation)
            session.flush()
            session.add_all([ConversationMember(conversation_id=conversation.id, user_id=low),  # type: ignore[arg-type]
                             ConversationMember(conversation_id=conversation.id, user_id=high)])  # type: ignore[arg-type]
    except exc.IntegrityError:  # created concurrently by the other person
        conversation = session.exec(select(Conversation).where(Conversation.direct_key == key)).one()
    return conversation


def _page(connection: Connection, conversation_id: int, *, before_seq: int | None, limit: int) -> list[MessageData]:
    params: dict[str, Any] = {'conversation_id': conversation_id, 'limit': limit}
    if before_seq is None:
        rows = connection.execute(_NEWEST, params).all()
    else:
        rows = connection.execute(_OLDER, {**params, 'before_seq': before_seq}).all()
    return _message_data(reversed(rows))


def _message_data(rows: Iterable[Sequence[Any]]) -> list[MessageData]:
    """The messages for pages and the broker, their times UTC-aware on every backend (SQLite reads them back naive)."""
    return [MessageData(id=id_, conversation_id=conversation_id, seq=seq, sender_id=sender_id, body=body,
                        created_at=as_utc(created_at))
            for id_, conversation_id, seq, sender_id, body, created_at in rows]
