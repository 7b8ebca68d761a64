"""A conversation (direct or group) and its members, with each member's role, join point and read position."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

GROUP_TITLE_MAX = 64
"""Longest group name: the column's size and the rule ``groups`` checks."""


class ConversationKind(StrEnum):
    DIRECT = 'direct'
    GROUP = 'group'


class MemberRole(StrEnum):
    MEMBER = 'member'
    ADMIN = 'admin'


class Conversation(SQLModel, table=True):
    """``last_seq`` numbers the messages of this conversation without gaps. Sending a message increments it inside the
    sending transaction, which locks the row: writers of one conversation commit in sequence order, so a view that
    has shown sequence n knows that n + 1 is the next one and can detect any gap.

    ``last_activity_at`` is the time of the newest message or timeline event: the inbox is ordered by it.
    ``title`` is a group's name (``None`` for a direct conversation, which shows the other person's name)."""

    __table_args__ = (Index('ix_conversation_activity', 'last_activity_at'),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=ConversationKind.DIRECT, max_length=16)
    direct_key: str | None = Field(default=None, max_length=64, unique=True)
    title: str | None = Field(default=None, max_length=GROUP_TITLE_MAX)
    last_seq: int = Field(default=0)
    change_seq: int = Field(default=0)
    """Numbers the changes to this conversation's messages (edits, deletes, reactions) without gaps, as
    ``last_seq`` numbers the messages: taking the next one locks the row, so changes commit in order."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_activity_at: datetime = Field(default_factory=utcnow,
                                       sa_column=Column(DateTime(timezone=True), nullable=False))


class ConversationMember(SQLModel, table=True):
    """Who belongs to a conversation, and where they stand in it.

    - ``joined_seq``: the conversation's ``last_seq`` just before this member joined. They see messages with a
      greater ``seq`` only (a group's new member sees the event that added them, and what follows).
    - ``read_seq``: the newest ``seq`` this member has read. Unread = ``last_seq - read_seq``: counted from
      positions, never by counting rows. Never moves backwards.
    - ``read_at``: when ``read_seq`` last moved (shown as "Seen 14:02").
    - ``role``: ``admin`` or ``member`` (direct conversations: both ``member``).
    - ``muted``: no toasts for this conversation and it is left out of the title's total.
    - ``mention_seq``: the newest message that mentions this member."""

    conversation_id: int = Field(foreign_key='conversation.id', primary_key=True, ondelete='CASCADE')
    user_id: int = Field(foreign_key='user.id', primary_key=True, index=True, ondelete='CASCADE')
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    role: str = Field(default=MemberRole.MEMBER, max_length=16)
    joined_seq: int = Field(default=0)
    read_seq: int = Field(default=0)
    read_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    muted: bool = Field(default=False)
    mention_seq: int = Field(default=0)
    """The newest message that mentions this member (``@username``): the inbox marks the conversation while it is
    unread, even when muted."""
