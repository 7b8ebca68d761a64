"""The inbox: my conversations, newest activity first, each with its last message and my unread count.

Opening the inbox must stay cheap for a person with hundreds of conversations, so a page is two statements whatever
its size: one for the rows (each row's peer, friendship, last message and its sender joined in, the last message
found through the unique index on ``(conversation_id, seq)`` at ``seq = last_seq``), one for the unread total.

What a row shows follows the access rule and the join boundary: a direct conversation appears while the two are
friends and once it has a message; a group always appears; a member who joined at or after the last message sees no
last message. Unread counts come from positions (``last_seq - read_seq``), never from counting rows; a row's
``read_seq`` is never below the member's ``joined_seq``. A text message's body in a row is its first
``PREVIEW_LENGTH`` characters (the row shows one line); a timeline event's body is whole.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, or_
from sqlalchemy import select as core_select

from chatapp.clock import as_utc
from chatapp.errors import Invalid, NotFound
from chatapp.schemas import AttachmentInfo, InboxPage, InboxRow, MessageData, UserPublic
from chatapp.services.conversations import NOT_AVAILABLE, NOT_AVAILABLE_CODE, core_table, direct_path, group_path
from chatapp.services.friendships import SEARCH_MAX_LENGTH
from chatapp.services.tx import Tx, reads_only
from models import (
    Attachment,
    Conversation,
    ConversationKind,
    ConversationMember,
    Friendship,
    FriendshipStatus,
    Message,
    MessageKind,
    User,
)

INBOX_PAGE_SIZE = 50
"""Rows of one inbox page at most (the first page and each "load more")."""
PREVIEW_LENGTH = 200
"""Characters of a text message's body that a row carries: a row shows one line, and a page of 50 rows of
4,000-character messages would otherwise hold the better part of a megabyte in the page's memory."""
BAD_CURSOR = 'This list cannot be continued from there. Reload the page.'
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

conversations = core_table(Conversation)
members = core_table(ConversationMember)
friendships = core_table(Friendship)
users = core_table(User)


def _friendship_of(me: Any, other: Any) -> ColumnElement[bool]:
    """The join condition of the friendship row between the member rows ``me`` and ``other`` (stored low, high)."""
    low_first = other.c.user_id < me.c.user_id
    return and_(friendships.c.user_low_id == case((low_first, other.c.user_id), else_=me.c.user_id),
                friendships.c.user_high_id == case((low_first, me.c.user_id), else_=other.c.user_id))


_messages = core_table(Message)
_me = (core_select(members.c.conversation_id, members.c.user_id, members.c.joined_seq, members.c.read_seq,
                   members.c.muted, members.c.mention_seq)
       .where(members.c.user_id == bindparam('actor_id'))
       .cte('me').prefix_with('MATERIALIZED'))
"""The actor's member rows, read first through the index on ``user_id``. Materialised, so the planner cannot start
from the other end instead: walking every conversation newest first (the activity index) until it finds enough of
the actor's took 200 ms on PostgreSQL with 50,000 conversations of other people newer than the actor's 500."""
_other = members.alias('other')
_peer = users.alias('peer')
_sender = users.alias('sender')
_attachments = core_table(Attachment)
_a = _attachments.c
_c = conversations.c
_m = _messages.c
_read_seq = case((_me.c.read_seq < _me.c.joined_seq, _me.c.joined_seq), else_=_me.c.read_seq)
"""A member has read nothing before they joined, whatever their stored position says."""
_preview = case((_m.kind == MessageKind.TEXT.value, func.substr(_m.body, 1, PREVIEW_LENGTH)), else_=_m.body)
"""A timeline event's body is JSON that ``chatapp.timeline`` reads whole (and short)."""
_MINE = (
    _me.join(conversations, _c.id == _me.c.conversation_id)
    .outerjoin(_other, and_(_other.c.conversation_id == _c.id, _other.c.user_id != _me.c.user_id,
                            _c.kind == ConversationKind.DIRECT.value))
    .outerjoin(_peer, _peer.c.id == _other.c.user_id)
    .outerjoin(friendships, _friendship_of(_me, _other))
)
_ACCESSIBLE = or_(_c.kind == ConversationKind.GROUP.value, friendships.c.status == FriendshipStatus.ACCEPTED)
"""The rule of ``conversations.require_access`` (see its table) over many conversations at once: with the actor's
member row and, for a direct conversation, the friendship with the other member joined in (``_MINE``), a group's
member may use it, a direct conversation's member only while the two are friends."""
_ROWS = (
    core_select(_c.id, _c.kind, _c.title, _c.last_seq, _c.last_activity_at, _read_seq.label('read_seq'),
                _me.c.muted, _me.c.mention_seq, _peer.c.id.label('peer_id'), _peer.c.username.label('peer_username'),
                _peer.c.display_name.label('peer_display_name'), _peer.c.avatar.label('peer_avatar'),
                _m.id.label('message_id'), _m.seq, _m.sender_id,
                _preview.label('body'), _m.created_at, _m.kind.label('message_kind'), _m.deleted_at,
                _sender.c.username.label('sender_username'), _sender.c.display_name.label('sender_display_name'),
                _a.id.label('attachment_id'), _a.kind.label('attachment_kind'), _a.mime, _a.filename, _a.size)
    .select_from(
        _MINE
        # The join boundary: a member who joined at or after the newest message sees none.
        .outerjoin(_messages, and_(_m.conversation_id == _c.id, _m.seq == _c.last_seq,
                                   _c.last_seq > _me.c.joined_seq))
        .outerjoin(_sender, _sender.c.id == _m.sender_id)
        .outerjoin(_attachments, _a.message_id == _m.id))
    .where(_ACCESSIBLE)
)
_LISTED = or_(_c.kind == ConversationKind.GROUP.value, _c.last_seq > 0)
"""A direct conversation with no message yet stays out of the list until someone writes."""
_NEWEST_FIRST = (_c.last_activity_at.desc(), _c.id.desc())
_UNREAD_TOTAL = (
    core_select(func.coalesce(func.sum(_c.last_seq - _read_seq), 0))
    .select_from(_MINE)
    .where(_ACCESSIBLE, _me.c.muted.is_(False), _c.last_seq > _read_seq)
)


@reads_only
def inbox_page(tx: Tx, *, actor_id: int, query: str = '', before: str | None = None,
               limit: int = INBOX_PAGE_SIZE) -> InboxPage:
    """A page of the actor's conversations, newest activity first (ties: higher id first).

    ``query`` keeps those whose group title, or whose other person's display name or username, contains it (any
    case). ``before`` is the ``next_cursor`` of the previous page ("load more"); rows that moved up since then are
    not repeated, the live view places them itself. ``limit`` is kept within 1..``INBOX_PAGE_SIZE``.
    ``unread_total`` counts every conversation that is not muted, not just this page's. A bad ``query`` (NUL, over
    ``SEARCH_MAX_LENGTH``) raises ``Invalid(code='bad_filter')``; a cursor we did not give,
    ``Invalid(code='bad_cursor')``."""
    limit = max(1, min(limit, INBOX_PAGE_SIZE))
    statement = _ROWS.where(_LISTED)
    if text := _filter_text(query):
        pattern = '%' + text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'
        statement = statement.where(or_(_c.title.ilike(pattern, escape='\\'),
                                        _peer.c.username.like(pattern, escape='\\'),
                                        _peer.c.display_name.ilike(pattern, escape='\\')))
    if before is not None:
        at, conversation_id = _parse_cursor(before)
        statement = statement.where(or_(_c.last_activity_at < at,
                                        and_(_c.last_activity_at == at, _c.id < conversation_id)))
    connection = tx.session.connection()
    found = connection.execute(statement.order_by(*_NEWEST_FIRST).limit(limit + 1), {'actor_id': actor_id}).all()
    rows = [_row(record, actor_id) for record in found[:limit]]
    has_more = len(found) > limit
    return InboxPage(rows=rows, has_more=has_more, unread_total=_unread_total(connection, actor_id),
                     next_cursor=_cursor(rows[-1]) if has_more else None)


@reads_only
def inbox_row(tx: Tx, *, actor_id: int, conversation_id: int) -> InboxRow:
    """The actor's row of one conversation (how a live inbox adds or refreshes a row): any conversation the actor may
    use, even a direct one with no message yet; otherwise ``NotFound`` as everywhere."""
    statement = _ROWS.where(_c.id == bindparam('conversation_id'))
    record = tx.session.connection().execute(
        statement, {'actor_id': actor_id, 'conversation_id': conversation_id}).first()
    if record is None:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    return _row(record, actor_id)


@reads_only
def unread_total(tx: Tx, *, actor_id: int) -> int:
    """Unread messages and events over the actor's conversations that are not muted (the tab title's count)."""
    return _unread_total(tx.session.connection(), actor_id)


def _unread_total(connection: Connection, actor_id: int) -> int:
    return int(connection.execute(_UNREAD_TOTAL, {'actor_id': actor_id}).scalar_one())


def _filter_text(query: str) -> str:
    text = query.strip().lower()
    if '\x00' in text:
        raise Invalid('A filter cannot contain NUL characters.', code='bad_filter')
    if len(text) > SEARCH_MAX_LENGTH:
        raise Invalid(f'Filter by at most {SEARCH_MAX_LENGTH} characters.', code='bad_filter')
    return text


def _cursor(row: InboxRow) -> str:
    """Where the next page starts: the last row's activity time (microseconds since the epoch) and id."""
    at = row.last_activity_at
    micros = (at - _EPOCH) // _MICROSECOND
    return f'{micros}.{row.conversation_id}'


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a ``_cursor`` string names; ``Invalid`` for anything a page did not get from us."""
    try:
        micros, conversation_id = (int(part) for part in cursor.split('.'))
        at = _EPOCH + micros * _MICROSECOND
    except (ValueError, OverflowError):
        raise Invalid(BAD_CURSOR, code='bad_cursor') from None
    if not 0 < conversation_id < 2**31:  # the id column's range: a database would refuse a bigger number
        raise Invalid(BAD_CURSOR, code='bad_cursor')
    return at, conversation_id


def _row(record: Any, actor_id: int) -> InboxRow:
    peer = (UserPublic(id=record.peer_id, username=record.peer_username, display_name=record.peer_display_name,
                       avatar=record.peer_avatar) if record.peer_id is not None else None)
    message = sender_label = None
    if record.message_id is not None:
        message = MessageData(id=record.message_id, conversation_id=record.id, seq=record.seq,
                              sender_id=record.sender_id, body=record.body, created_at=as_utc(record.created_at),
                              kind=record.message_kind, deleted=record.deleted_at is not None,
                              attachment=AttachmentInfo(id=record.attachment_id, kind=record.attachment_kind,
                                                        mime=record.mime, filename=record.filename, size=record.size)
                              if record.attachment_id is not None and record.deleted_at is None else None)
        sender_label = 'You' if record.sender_id == actor_id else (
            record.sender_display_name or record.sender_username)
    if record.kind == ConversationKind.GROUP.value:
        title, path = record.title or '', group_path(record.id)
    else:
        title, path = (peer.label, direct_path(peer.username)) if peer else ('', '')
    return InboxRow(conversation_id=record.id, kind=record.kind, title=title, path=path, peer=peer,
                    last_message=message, sender_label=sender_label,
                    last_activity_at=as_utc(record.last_activity_at), last_seq=record.last_seq,
                    read_seq=record.read_seq, muted=record.muted, mention_seq=record.mention_seq)
