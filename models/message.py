"""A chat message or a timeline event. ``seq`` is its gap-free position in its conversation (see
``Conversation.last_seq``): events take a place in the same order, so they are caught up exactly as messages are."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

MAX_MESSAGE_LENGTH = 4000
"""Characters (code points) of one message at most: the column's size and the service's check read this."""
TXN_MAX_LENGTH = 40
"""Characters of a send's transaction id at most (see ``Message.client_txn``)."""


class MessageKind(StrEnum):
    TEXT = 'text'
    """Something a person wrote."""
    EVENT = 'event'
    """A timeline event ("alice added bob"): ``body`` is JSON, see ``chatapp.timeline``."""


class Message(SQLModel, table=True):
    """``client_txn`` is the id the sender's page gave this send (as Matrix's transaction ids): a send that is
    retried, after a timeout or a restart, carries the same id, and the unique index on (sender, id) makes sure it is
    stored once."""

    __table_args__ = (
        UniqueConstraint('conversation_id', 'seq', name='uq_message_conversation_seq'),
        Index('ux_message_sender_txn', 'sender_id', 'client_txn', unique=True),
        Index('ix_message_changes', 'conversation_id', 'change_seq'),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key='conversation.id', ondelete='CASCADE')
    seq: int
    sender_id: int = Field(foreign_key='user.id', ondelete='CASCADE')
    body: str = Field(max_length=MAX_MESSAGE_LENGTH)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    client_txn: str | None = Field(default=None, max_length=TXN_MAX_LENGTH)
    kind: str = Field(default=MessageKind.TEXT, max_length=16)
    edited_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    """When the sender last edited the text (``None``: never)."""
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    """When the sender deleted it: ``body`` is then empty and it shows as "This message was deleted"."""
    change_seq: int = Field(default=0)
    """The conversation's ``change_seq`` at this message's latest change (edit, delete, reaction); 0: never
    changed. A view that has applied change n knows n + 1 comes next, as with ``seq``."""
    reply_seq: int | None = Field(default=None)
    """The ``seq`` of the message of the same conversation that this one replies to."""
