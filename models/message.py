"""A chat message. ``seq`` is its gap-free position in its conversation (see ``Conversation.last_seq``)."""

from datetime import datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow


class Message(SQLModel, table=True):
    __table_args__ = (UniqueConstraint('conversation_id', 'seq', name='uq_message_conversation_seq'),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key='conversation.id', ondelete='CASCADE')
    seq: int
    sender_id: int = Field(foreign_key='user.id', ondelete='CASCADE')
    body: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
