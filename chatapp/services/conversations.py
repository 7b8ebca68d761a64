"""One-to-one conversations and their messages. Only friends may read or write a direct conversation.

Events: ``send_message`` emits ``MessagePosted`` to the conversation's members and to nobody else.
"""

from __future__ import annotations

from sqlalchemy import exc, update
from sqlmodel import Session, col, select

from chatapp.clock import as_utc
from chatapp.errors import Invalid, NotFound
from chatapp.events import MessagePosted
from chatapp.schemas import ChatInfo, MessageData, UserPublic
from chatapp.services.friendships import are_friends
from chatapp.services.tx import Tx
from chatapp.services.users import find_by_username, require_user
from models import Conversation, ConversationMember, Message

PAGE_SIZE = 50
CATCH_UP_LIMIT = 500
MAX_MESSAGE_LENGTH = 4000
NOT_AVAILABLE = 'This conversation is not available. You can only chat with your friends.'


def open_direct(tx: Tx, *, actor_id: int, peer_username: str) -> ChatInfo:
    """The actor's conversation with the friend ``peer_username`` and its newest page, created on first use."""
    peer = find_by_username(tx.session, peer_username)
    if peer is None or peer.id is None or peer.id == actor_id or not are_friends(tx.session, actor_id, peer.id):
        raise NotFound(NOT_AVAILABLE)
    me = require_user(tx.session, actor_id)
    conversation = _direct_conversation(tx.session, actor_id, peer.id)
    assert conversation.id is not None
    newest = _page(tx.session, conversation.id, before_seq=None, limit=PAGE_SIZE + 1)
    return ChatInfo(conversation_id=conversation.id, me=UserPublic.model_validate(me),
                    peer=UserPublic.model_validate(peer), messages=newest[-PAGE_SIZE:],
                    has_earlier=len(newest) > PAGE_SIZE)


def send_message(tx: Tx, *, actor_id: int, conversation_id: int, body: str) -> MessageData:
    """Store ``body`` as the conversation's next message; members hear it only after the commit."""
    text = body.strip()
    if not text:
        raise Invalid('Type a message first.')
    if '\x00' in text:
        raise Invalid('A message cannot contain NUL characters.')
    if len(text) > MAX_MESSAGE_LENGTH:
        raise Invalid(f'A message can be at most {MAX_MESSAGE_LENGTH:,} characters long ({len(text):,} now).')
    members = _require_access(tx.session, actor_id, conversation_id, hold=True)
    # Incrementing the counter locks the conversation row until commit, so sequence order is commit order.
    seq = tx.session.execute(
        update(Conversation).where(col(Conversation.id) == conversation_id)
        .values(last_seq=col(Conversation.last_seq) + 1).returning(col(Conversation.last_seq))
    ).scalar_one()
    message = Message(conversation_id=conversation_id, seq=seq, sender_id=actor_id, body=text)
    tx.session.add(message)
    tx.session.flush()
    data = _message_data(message)
    tx.emit(MessagePosted(recipients=tuple(members), message=data))
    return data


def messages_before(tx: Tx, *, actor_id: int, conversation_id: int, before_seq: int | None,
                    limit: int = PAGE_SIZE) -> list[MessageData]:
    """Up to ``limit`` messages older than ``before_seq`` (``None``: the newest ones), oldest first."""
    _require_access(tx.session, actor_id, conversation_id)
    return _page(tx.session, conversation_id, before_seq=before_seq, limit=max(0, min(limit, PAGE_SIZE)))


def messages_after(tx: Tx, *, actor_id: int, conversation_id: int, after_seq: int) -> list[MessageData]:
    """Messages newer than ``after_seq``, oldest first: how a view catches up after a gap or a reconnect."""
    _require_access(tx.session, actor_id, conversation_id)
    statement = (select(Message).where(Message.conversation_id == conversation_id, Message.seq > after_seq)
                 .order_by(col(Message.seq)).limit(CATCH_UP_LIMIT))
    return [_message_data(m) for m in tx.session.exec(statement)]


def _require_access(session: Session, actor_id: int, conversation_id: int, *, hold: bool = False) -> list[int]:
    """The member ids, when the actor may use this conversation: a member, and still friends with the other
    (``hold``: and stays friends until this transaction commits, see ``are_friends``)."""
    members = list(session.exec(select(ConversationMember.user_id)
                                .where(ConversationMember.conversation_id == conversation_id)))
    if actor_id not in members:
        raise NotFound(NOT_AVAILABLE)
    if any(not are_friends(session, actor_id, other, hold=hold) for other in members if other != actor_id):
        raise NotFound(NOT_AVAILABLE)
    return members


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


def _page(session: Session, conversation_id: int, *, before_seq: int | None, limit: int) -> list[MessageData]:
    statement = select(Message).where(Message.conversation_id == conversation_id)
    if before_seq is not None:
        statement = statement.where(Message.seq < before_seq)
    rows = list(session.exec(statement.order_by(col(Message.seq).desc()).limit(limit)))
    return [_message_data(m) for m in reversed(rows)]


def _message_data(message: Message) -> MessageData:
    """The message for pages and the broker, its time UTC-aware on every backend (SQLite reads it back naive)."""
    data = MessageData.model_validate(message)
    return data.model_copy(update={'created_at': as_utc(data.created_at)})
