"""Conversations (direct and group) and their messages: who may open, read and write them, and gap-free order.

Events: ``send_message`` emits ``MessagePosted`` to the conversation's members at the moment of the commit and to
nobody else. The group changes (``chatapp.services.groups``) write their timeline events through the same numbering.

Sending and reading messages is the hot path, so it uses Core statements built once at import (SQLAlchemy caches
their compiled SQL; building and ORM-loading them anew on every call cost more CPU than SQLite itself) and rows
rather than ORM objects. The rest stays with the ORM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exc, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from chatapp import mentions
from chatapp.clock import as_utc, utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.events import MessagePosted
from chatapp.schemas import ChatInfo, MemberInfo, MessageData, Quote, Receipt, Updates, UserPublic
from chatapp.security.limits import limited
from chatapp.services import attached
from chatapp.services.friendships import are_friends
from chatapp.services.message_details import COLUMNS, message_data, quote, utc_or_none
from chatapp.services.tables import core_table
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import find_by_username
from models import (
    Blocking,
    Conversation,
    ConversationKind,
    ConversationMember,
    Friendship,
    FriendshipStatus,
    Message,
    User,
)
from models.message import MAX_MESSAGE_LENGTH, TXN_MAX_LENGTH

PAGE_SIZE = 50
CATCH_UP_LIMIT = 500
TXN_PATTERN = re.compile(rf'[A-Za-z0-9_-]{{8,{TXN_MAX_LENGTH}}}')
"""A send's transaction id, as pages make them (see ``Message.client_txn``)."""
NOT_AVAILABLE = 'This conversation is not available. You can only chat with your friends.'
_SURROGATE = re.compile('[\ud800-\udfff]')
"""Half of a UTF-16 pair: it cannot be stored as UTF-8 (found in C, not by a Python loop over 4,000 characters)."""
NOT_AVAILABLE_CODE = 'not_available'
"""The ``code`` of that refusal: a view that gets it closes the conversation."""
BAD_REPLY_CODE = 'bad_reply'
"""A send answers a message it may not (deleted, an event, before the sender joined, not there)."""


_conversations = core_table(Conversation)
_members = core_table(ConversationMember)
_friendships = core_table(Friendship)
_messages = core_table(Message)
_users = core_table(User)

_u = _users.c
_me = _members.alias('me')
_other = _members.alias('other')
_c = _conversations.c
_low_first = _other.c.user_id < _me.c.user_id
_is_pair = and_(_friendships.c.user_low_id == case((_low_first, _other.c.user_id), else_=_me.c.user_id),
                _friendships.c.user_high_id == case((_low_first, _me.c.user_id), else_=_other.c.user_id))

# Reading: the actor's member row, the kind and (direct only) the friendship with the other member, in one query.
# Outer joins: a group has no "other" to pair with, and a direct conversation whose friendship ended has no row.
_ACCESS_FROM = (_me.join(_conversations, _c.id == _me.c.conversation_id)
                .outerjoin(_other, and_(_c.kind == ConversationKind.DIRECT,
                                        _other.c.conversation_id == _me.c.conversation_id,
                                        _other.c.user_id != _me.c.user_id))
                .outerjoin(_friendships, _is_pair))
_ACCESS = (
    core_select(_c.kind, _me.c.joined_seq, _friendships.c.status)
    .select_from(_ACCESS_FROM)
    .where(_me.c.conversation_id == bindparam('conversation_id'), _me.c.user_id == bindparam('actor_id'))
)
_ACCESS_MANY = (
    core_select(_me.c.user_id, _c.kind, _friendships.c.status, _me.c.read_seq, _c.last_seq)
    .select_from(_ACCESS_FROM)
    .where(_me.c.conversation_id == bindparam('conversation_id'),
           _me.c.user_id.in_(bindparam('actor_ids', expanding=True)))
)
"""``_ACCESS`` for several actors at once, with each one's read position and the conversation's ``last_seq``."""
# Sending (after the sequence bump has locked the conversation row), one query per kind for the recipients. Inner
# joins only, because PostgreSQL cannot lock the nullable side of an outer join.
_DIRECT_PEER_HELD = (
    core_select(_other.c.user_id)
    .select_from(_me.join(_other, and_(_other.c.conversation_id == _me.c.conversation_id,
                                       _other.c.user_id != _me.c.user_id))
                 .join(_friendships, and_(_is_pair, _friendships.c.status == FriendshipStatus.ACCEPTED)))
    .where(_me.c.conversation_id == bindparam('conversation_id'), _me.c.user_id == bindparam('actor_id'))
    .with_for_update(read=True, of=_friendships)
)
"""``FOR SHARE OF friendship`` on PostgreSQL (nothing on SQLite, whose transactions are serialised anyway)."""
_GROUP_MEMBERS = (
    core_select(_other.c.user_id)
    .select_from(_me.join(_other, _other.c.conversation_id == _me.c.conversation_id))
    .where(_me.c.conversation_id == bindparam('conversation_id'), _me.c.user_id == bindparam('actor_id'))
)
_MEMBER_IDS = core_select(_members.c.user_id).where(_members.c.conversation_id == bindparam('conversation_id')) \
    .order_by(_members.c.user_id)

# Incrementing the counter locks the conversation row until commit, so sequence order is commit order. The same
# statement stamps the activity time the inbox is ordered by, and says which access rule applies.
NEXT_SEQ = (update(_conversations).where(_c.id == bindparam('conversation_id'))
            .values(last_seq=_c.last_seq + 1, last_activity_at=bindparam('now'))
            .returning(_c.last_seq, _c.kind))
"""Also used by the group services for their timeline events (parameters ``conversation_id``, ``now``)."""
MARK_OWN_READ = (update(_members)
                 .where(_members.c.conversation_id == bindparam('in_conversation'),
                        _members.c.user_id == bindparam('actor_id'))
                 .values(read_seq=bindparam('seq'), read_at=bindparam('now')))
"""The author of the newest message or event has read it: my own messages are never unread. Parameters
``in_conversation`` (a column's name is not allowed here), ``actor_id``, ``seq``, ``now``."""
INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_m = _messages.c
# A send inserts unless its (sender, txn) is stored already: then no row comes back and nothing is written. Taking
# the unique index as the check saves the statement that used to look first (the common case is a new message).
_INSERT_SEND = {
    'sqlite': sqlite_insert(_messages).on_conflict_do_nothing(index_elements=[_m.sender_id, _m.client_txn])
    .returning(_m.id),
    'postgresql': postgresql_insert(_messages).on_conflict_do_nothing(index_elements=[_m.sender_id, _m.client_txn])
    .returning(_m.id),
}
_SENT = core_select(*COLUMNS).where(_m.sender_id == bindparam('sender_id'), _m.client_txn == bindparam('txn'))
_NEWEST = (core_select(*COLUMNS)
           .where(_m.conversation_id == bindparam('conversation_id'), _m.seq > bindparam('joined_seq'))
           .order_by(_m.seq.desc()).limit(bindparam('limit')))
_OLDER = _NEWEST.where(_m.seq < bindparam('before_seq'))
_NEWER = (core_select(*COLUMNS)
          .where(_m.conversation_id == bindparam('conversation_id'), _m.seq > bindparam('after_seq'))
          .order_by(_m.seq).limit(CATCH_UP_LIMIT))
_CHANGED = (core_select(*COLUMNS)
            .where(_m.conversation_id == bindparam('conversation_id'), _m.change_seq > bindparam('after_change'),
                   _m.seq > bindparam('joined_seq'))
            .order_by(_m.change_seq).limit(CATCH_UP_LIMIT))
"""Messages changed since change ``after_change`` (see ``chatapp.services.message_changes``), oldest change first."""
_CHANGE_SEQ = core_select(_c.change_seq).where(_c.id == bindparam('conversation_id'))
_CONVERSATION = core_select(_c.kind, _c.title, _c.last_seq, _c.change_seq).where(_c.id == bindparam('conversation_id'))
_QUOTABLE = (core_select(_m.seq, _m.sender_id, _m.body, _m.kind, _m.deleted_at, _members.c.joined_seq)
             .select_from(_messages.join(_members, and_(_members.c.conversation_id == _m.conversation_id,
                                                        _members.c.user_id == bindparam('actor_id'))))
             .where(_m.conversation_id == bindparam('conversation_id'), _m.seq == bindparam('seq')))
"""The message a reply quotes, with the replier's join point (nothing from before it may be quoted)."""
_blocking = core_table(Blocking)
_BLOCKED = core_select(_blocking.c.blocked_id).where(_blocking.c.blocker_id == bindparam('actor_id'))
_SENDERS = (core_select(_u.id, _u.username, _u.display_name)
            .where(_u.id.in_(bindparam('user_ids', expanding=True)),
                   core_select(_m.id).where(_m.conversation_id == bindparam('conversation_id'),
                                            _m.sender_id == _u.id, _m.seq > bindparam('joined_seq'))
                   .exists()))
"""People among ``user_ids`` who wrote in the conversation after the reader joined: no other name can be asked."""
MAX_SENDER_NAMES = 100
_MENTIONED = (core_select(_u.id)
              .select_from(_members.join(_users, _u.id == _members.c.user_id))
              .where(_members.c.conversation_id == bindparam('conversation_id'),
                     _u.username.in_(bindparam('usernames', expanding=True))))
MARK_MENTIONED = (update(_members)
                  .where(_members.c.conversation_id == bindparam('in_conversation'),
                         _members.c.user_id.in_(bindparam('user_ids', expanding=True)))
                  .values(mention_seq=bindparam('seq')))

_MEMBER_ROWS = (
    core_select(_u.id, _u.username, _u.display_name, _u.avatar, _u.read_receipts, _members.c.role, _members.c.joined_at,
                _members.c.joined_seq, _members.c.read_seq, _members.c.read_at, _members.c.muted)
    .select_from(_members.join(_users, _u.id == _members.c.user_id))
    .where(_members.c.conversation_id == bindparam('conversation_id'))
    .order_by(_members.c.joined_at, _members.c.user_id)
)


@dataclass(frozen=True)
class Access:
    """What the access check learnt about the actor's place in the conversation."""

    kind: str
    joined_seq: int


def require_access(connection: Connection, actor_id: int, conversation_id: int) -> Access:
    """The actor's access to the conversation for reading (messages, members, typing), or ``NotFound``.

    | actor                                   | conversation | friendship with the other member | access |
    |-----------------------------------------|--------------|----------------------------------|--------|
    | member                                  | group        | (not looked at)                  | yes    |
    | member                                  | direct       | accepted                         | yes    |
    | member                                  | direct       | pending request                  | no     |
    | member                                  | direct       | none (never, or unfriended)      | no     |
    | not a member (never, removed, left)     | group        | (any, even friends with all)     | no     |
    | not a member                            | direct       | (any, even friends with both)    | no     |
    | anyone                                  | no such id   |                                  | no     |

    "no" is always ``NotFound(NOT_AVAILABLE, code='not_available')``: the same refusal whatever the reason, so
    nobody can probe which conversation ids exist or who is in them. A member sees messages after ``joined_seq``
    only (the join boundary), which every read service applies.

    Writers (``send_message``, the group changes) check the same rule after taking the conversation row's lock, so
    that what they checked cannot change before they commit:

    - direct: ``send_message`` holds the friendship row (``FOR SHARE`` on PostgreSQL; SQLite's transactions are
      serialised anyway), so an unfriend racing a send either waits for the send or the send sees it ended;
    - group: membership only changes in a transaction that has bumped ``last_seq`` (every change writes a timeline
      event), which locks the conversation row. A send bumps ``last_seq`` *before* reading the members, so a
      removal racing a send is serialised on that row: the send either commits first (and the removed member is
      among its recipients, having been a member then) or reads the members after the removal committed and is
      refused. Taking the conversation lock first also means there is no lock-order deadlock between the two."""
    row = connection.execute(_ACCESS, {'conversation_id': conversation_id, 'actor_id': actor_id}).first()
    if row is None or not _allowed(row):
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    return Access(kind=row.kind, joined_seq=row.joined_seq)


@dataclass(frozen=True)
class Position:
    """Where a member stands in a conversation they may use."""

    read_seq: int
    last_seq: int


def positions(connection: Connection, actor_ids: Iterable[int], conversation_id: int) -> dict[int, Position]:
    """The read position of each of ``actor_ids`` who may use the conversation (the rule of ``require_access``, in
    one query for all of them); the others are left out."""
    rows = connection.execute(_ACCESS_MANY, {'conversation_id': conversation_id, 'actor_ids': list(actor_ids)})
    return {row.user_id: Position(read_seq=row.read_seq, last_seq=row.last_seq) for row in rows if _allowed(row)}


def _allowed(row: Any) -> bool:
    """The access rule on a row of ``_ACCESS`` or ``_ACCESS_MANY``: any member of a group; in a direct
    conversation, a member whose friendship with the other stands."""
    return bool(row.kind == ConversationKind.GROUP or row.status == FriendshipStatus.ACCEPTED)


def open_direct(tx: Tx, *, actor_id: int, peer_username: str) -> ChatInfo:
    """The actor's conversation with the friend ``peer_username`` and its newest page, created on first use."""
    peer = find_by_username(tx.session, peer_username)
    if peer is None or peer.id is None or peer.id == actor_id or not are_friends(tx.session, actor_id, peer.id):
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    conversation = _direct_conversation(tx.session, actor_id, peer.id)
    assert conversation.id is not None
    return chat_info(tx.session.connection(), actor_id, conversation.id)


@reads_only
def open_conversation(tx: Tx, *, actor_id: int, conversation_id: int) -> ChatInfo:
    """Any conversation the actor may use (see ``require_access``), with its newest page."""
    connection = tx.session.connection()
    require_access(connection, actor_id, conversation_id)
    return chat_info(connection, actor_id, conversation_id)


@limited('messages')
def send_message(tx: Tx, *, actor_id: int, conversation_id: int, body: str, txn: str | None = None,
                 reply_to: int | None = None, attachment_id: int | None = None) -> MessageData:
    """Store ``body`` as the conversation's next message; the members at the moment of the commit hear it after
    the commit. The sender has read it (``read_seq`` moves to it) and the conversation's activity time is now.

    ``txn`` is the sending page's id for this send. A send repeated with the same ``txn`` (a retry after a timeout,
    a page that re-sends what it had not seen confirmed after a restart) returns the message stored the first time
    and stores nothing: its insert meets the unique index on (sender, txn) and does nothing. That happens after the
    sequence counter is taken, which locks the conversation row: two copies of one send are serialised there, and
    the second finds the first.

    ``attachment_id`` is a picture or file the actor uploaded into this conversation and has not sent yet
    (``attachments.claim``); with one, the text is an optional caption.

    ``reply_to`` is the seq of a message of this conversation that this one answers: one the sender may see (after
    their join), not deleted, not a timeline event; else ``Invalid`` with code ``bad_reply``. In a group, members
    named with ``@username`` get their ``mention_seq`` moved to this message (their inbox marks it, even muted).

    Statements: the counter, the recipients (which checks access), the insert, the sender's read position; the
    same count as before read positions existed, because the insert now doubles as the duplicate check. A reply
    reads the quoted message, a group message with an ``@`` looks the names up."""
    text = message_text(body, caption=attachment_id is not None)
    if txn is not None and not TXN_PATTERN.fullmatch(txn):
        raise Invalid('This message could not be sent. Reload the page and try again.', code='bad_txn')
    connection = tx.session.connection()
    now = utcnow()
    bumped = connection.execute(NEXT_SEQ, {'conversation_id': conversation_id, 'now': now}).first()
    if bumped is None:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    seq, kind = bumped
    members = members_for_write(connection, actor_id, conversation_id, kind)
    quoted = _quotable(connection, actor_id, conversation_id, reply_to) if reply_to is not None else None
    values = {'conversation_id': conversation_id, 'seq': seq, 'sender_id': actor_id, 'body': text, 'created_at': now}
    message_id = connection.execute(_INSERT_SEND[connection.dialect.name],
                                    {**values, 'client_txn': txn, 'reply_seq': reply_to}).scalar()
    if message_id is None:  # this txn was stored before
        (stored,) = message_data(connection, [connection.execute(_SENT, {'sender_id': actor_id, 'txn': txn}).one()])
        tx.session.rollback()  # gives the sequence number back: nothing new is stored or announced
        if stored.conversation_id != conversation_id:
            raise Invalid('This message could not be sent. Reload the page and try again.', code='bad_txn')
        return stored
    connection.execute(MARK_OWN_READ, {'in_conversation': conversation_id, 'actor_id': actor_id, 'seq': seq,
                                       'now': now})
    named = _mention(connection, actor_id, conversation_id, seq, text) if kind == ConversationKind.GROUP else ()
    carried = attached.claim(connection, actor_id=actor_id, conversation_id=conversation_id,
                             attachment_id=attachment_id, message_id=message_id) if attachment_id is not None else None
    data = MessageData(id=message_id, **values, reply=quoted, mentions=named, attachment=carried)
    tx.emit(MessagePosted(recipients=tuple(members), message=data))
    return data


def _quotable(connection: Connection, actor_id: int, conversation_id: int, seq: int) -> Quote:
    """The quote of message ``seq`` for a reply by the actor, or ``Invalid`` (code ``bad_reply``)."""
    row = connection.execute(_QUOTABLE, {'actor_id': actor_id, 'conversation_id': conversation_id, 'seq': seq}).first()
    if row is None or row.seq <= row.joined_seq or row.kind != 'text' or row.deleted_at is not None:
        raise Invalid('That message cannot be answered: it was deleted or is not available.', code=BAD_REPLY_CODE)
    return quote(row.seq, row.sender_id, row.body, deleted=False)


def _mention(connection: Connection, actor_id: int, conversation_id: int, seq: int, text: str) -> tuple[int, ...]:
    """Mark the members that ``text`` names (not the sender) as mentioned at ``seq``; return their ids."""
    names = mentions.candidates(text)
    if not names:
        return ()
    ids = sorted(user_id for user_id in connection.execute(
        _MENTIONED, {'conversation_id': conversation_id, 'usernames': sorted(names)}).scalars() if user_id != actor_id)
    if ids:
        connection.execute(MARK_MENTIONED, {'in_conversation': conversation_id, 'user_ids': ids, 'seq': seq})
    return tuple(ids)


def message_text(body: str, *, caption: bool = False) -> str:
    """The text to store for ``body`` (stripped), or ``Invalid`` whose ``code`` names the problem. A ``caption``
    (the text of a message that carries a file) may be empty."""
    text = body.strip()
    if not text and not caption:
        raise Invalid(problem_message('blank'), code='blank')
    if '\x00' in text:
        raise Invalid(problem_message('nul'), code='nul')
    if _SURROGATE.search(text):
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


@reads_only
def messages_before(tx: Tx, *, actor_id: int, conversation_id: int, before_seq: int | None,
                    limit: int = PAGE_SIZE) -> list[MessageData]:
    """Up to ``limit`` messages older than ``before_seq`` (``None``: the newest ones), oldest first; never any from
    before the actor joined."""
    connection = tx.session.connection()
    access = require_access(connection, actor_id, conversation_id)
    return _page(connection, conversation_id, joined_seq=access.joined_seq, before_seq=before_seq,
                 limit=max(0, min(limit, PAGE_SIZE)))


@reads_only
def messages_after(tx: Tx, *, actor_id: int, conversation_id: int, after_seq: int) -> list[MessageData]:
    """Messages newer than ``after_seq`` (and than the actor's join), oldest first: how a view catches up after a
    gap or a reconnect."""
    connection = tx.session.connection()
    access = require_access(connection, actor_id, conversation_id)
    rows = connection.execute(_NEWER, {'conversation_id': conversation_id,
                                       'after_seq': max(after_seq, access.joined_seq)})
    return message_data(connection, rows)


@reads_only
def updates_after(tx: Tx, *, actor_id: int, conversation_id: int, after_seq: int, after_change: int) -> Updates:
    """What a view that has taken in messages up to ``after_seq`` and changes up to ``after_change`` missed: new
    messages (as ``messages_after``) and messages changed since (each once, in its latest state, oldest change
    first; see ``chatapp.services.message_changes``). One transaction: how a view catches up after a reconnect."""
    connection = tx.session.connection()
    access = require_access(connection, actor_id, conversation_id)
    change_seq = connection.execute(_CHANGE_SEQ, {'conversation_id': conversation_id}).scalar_one()
    changed: list[MessageData] = []
    if change_seq > after_change:
        changed = message_data(connection, connection.execute(_CHANGED, {
            'conversation_id': conversation_id, 'after_change': after_change, 'joined_seq': access.joined_seq}))
    rows = connection.execute(_NEWER, {'conversation_id': conversation_id,
                                       'after_seq': max(after_seq, access.joined_seq)})
    complete = len(changed) < CATCH_UP_LIMIT
    return Updates(messages=message_data(connection, rows), changed=changed,
                   change_seq=change_seq if complete else changed[-1].change_seq)


@reads_only
def sender_names(tx: Tx, *, actor_id: int, conversation_id: int, user_ids: list[int]) -> dict[int, str]:
    """The names of people who wrote messages the actor can see here but who are not members any more (they left,
    were removed, or deleted their account: "Deleted account"). Nobody else's name is given, whatever ids are asked."""
    connection = tx.session.connection()
    access = require_access(connection, actor_id, conversation_id)
    ids = sorted({user_id for user_id in user_ids if isinstance(user_id, int)})[:MAX_SENDER_NAMES]
    if not ids:
        return {}
    rows = connection.execute(_SENDERS, {'user_ids': ids, 'conversation_id': conversation_id,
                                         'joined_seq': access.joined_seq})
    return {row.id: UserPublic(id=row.id, username=row.username, display_name=row.display_name).label for row in rows}


@reads_only
def typing_audience(tx: Tx, *, actor_id: int, conversation_id: int) -> list[int]:
    """Who hears that the actor is typing here: the other members, when the actor may use the conversation."""
    connection = tx.session.connection()
    require_access(connection, actor_id, conversation_id)
    ids = connection.execute(_MEMBER_IDS, {'conversation_id': conversation_id}).scalars()
    return [user_id for user_id in ids if user_id != actor_id]


def chat_info(connection: Connection, actor_id: int, conversation_id: int) -> ChatInfo:
    """The conversation as the actor opens it (the caller has checked access): members, positions, receipts and
    the newest page after the actor's join. Also used by the group services after a change."""
    conversation = connection.execute(_CONVERSATION, {'conversation_id': conversation_id}).one()
    rows = connection.execute(_MEMBER_ROWS, {'conversation_id': conversation_id}).all()
    members = [MemberInfo(user=UserPublic(id=r.id, username=r.username, display_name=r.display_name,
                                          avatar=r.avatar), role=r.role, joined_at=as_utc(r.joined_at)) for r in rows]
    mine = next(r for r in rows if r.id == actor_id)
    me = next(m.user for m in members if m.user.id == actor_id)
    peer = None
    if conversation.kind == ConversationKind.GROUP:
        title, path = conversation.title or '', group_path(conversation_id)
    else:
        peer = next((m.user for m in members if m.user.id != actor_id), None)
        title, path = (peer.label, direct_path(peer.username)) if peer else ('', '')
    receipts = [Receipt(user_id=r.id, read_seq=r.read_seq, read_at=utc_or_none(r.read_at))
                for r in rows if r.id != actor_id and r.read_receipts] if mine.read_receipts else []
    newest = _page(connection, conversation_id, joined_seq=mine.joined_seq, before_seq=None, limit=PAGE_SIZE + 1)
    blocked = (sorted(connection.execute(_BLOCKED, {'actor_id': actor_id}).scalars())
               if conversation.kind == ConversationKind.GROUP else [])
    return ChatInfo(conversation_id=conversation_id, kind=conversation.kind, title=title, path=path, me=me,
                    peer=peer, members=members, my_role=mine.role, muted=mine.muted, joined_seq=mine.joined_seq,
                    read_seq=mine.read_seq, last_seq=conversation.last_seq, change_seq=conversation.change_seq,
                    receipts=receipts, blocked=blocked,
                    messages=newest[-PAGE_SIZE:], has_earlier=len(newest) > PAGE_SIZE)


def direct_path(peer_username: str) -> str:
    """Where a direct conversation lives."""
    return f'/chat/{peer_username}'


def group_path(conversation_id: int) -> str:
    """Where a group lives."""
    return f'/group/{conversation_id}'


def members_for_write(connection: Connection, actor_id: int, conversation_id: int, kind: str) -> list[int]:
    """The recipients of a send, or ``NotFound`` when the actor may not write here (the rule of
    ``require_access``, checked under the locks it describes)."""
    params = {'conversation_id': conversation_id, 'actor_id': actor_id}
    if kind == ConversationKind.GROUP:
        members = connection.execute(_GROUP_MEMBERS, params).scalars().all()
    else:
        peers = connection.execute(_DIRECT_PEER_HELD, params).scalars().all()
        members = [actor_id, *peers] if peers else []
    if not members:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    return sorted(members)


def _direct_conversation(session: Session, a: int, b: int) -> Conversation:
    low, high = sorted((a, b))
    key = f'{low}:{high}'
    conversation = session.exec(select(Conversation).where(Conversation.direct_key == key)).first()
    if conversation is not None:
        return conversation
    try:
        with session.begin_nested():
            conversation = Conversation(kind=ConversationKind.DIRECT, direct_key=key)
            session.add(conversation)
            session.flush()
            session.add_all([ConversationMember(conversation_id=conversation.id, user_id=low),  # type: ignore[arg-type]
                             ConversationMember(conversation_id=conversation.id, user_id=high)])  # type: ignore[arg-type]
    except exc.IntegrityError:  # created concurrently by the other person
        conversation = session.exec(select(Conversation).where(Conversation.direct_key == key)).one()
    return conversation


def _page(connection: Connection, conversation_id: int, *, joined_seq: int, before_seq: int | None,
          limit: int) -> list[MessageData]:
    params: dict[str, Any] = {'conversation_id': conversation_id, 'joined_seq': joined_seq, 'limit': limit}
    if before_seq is None:
        rows = connection.execute(_NEWEST, params).all()
    else:
        rows = connection.execute(_OLDER, {**params, 'before_seq': before_seq}).all()
    return message_data(connection, reversed(rows))
