"""A conversation and its members. One-to-one today; the member table is what groups will build on."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow


class Conversation(SQLModel, table=True):
    """``last_seq`` numbers the messages of this conversation without gaps. Sending a message increments it inside the
    sending transaction, which locks the row: writers of one conversation commit in sequence order, so a view that
    has shown sequence n knows that n + 1 is the next one and can detect any gap."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default='direct', max_length=16)
    direct_key: str | None = Field(default=None, max_length=64, unique=True)
    last_seq: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class ConversationMember(SQLModel, table=True):
    """Who belongs to a conversation."""

    conversation_id: int = Field(foreign_key='conversation.id', primary_key=True, ondelete='CASCADE')
    user_id: int = Field(foreign_key='user.id', primary_key=True, index=True, ondelete='CASCADE')
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
