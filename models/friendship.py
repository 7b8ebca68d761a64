"""A friendship or a pending request between two people, stored once per unordered pair."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow


class FriendshipStatus(StrEnum):
    PENDING = 'pending'
    ACCEPTED = 'accepted'


class Friendship(SQLModel, table=True):
    """The pair is kept ordered (``user_low_id < user_high_id``) and unique, so two concurrent requests between the
    same people cannot both be stored: the database, not the code, makes duplicates impossible."""

    __table_args__ = (
        UniqueConstraint('user_low_id', 'user_high_id', name='uq_friendship_pair'),
        CheckConstraint('user_low_id < user_high_id', name='ck_friendship_ordered'),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_low_id: int = Field(foreign_key='user.id', index=True, ondelete='CASCADE')
    user_high_id: int = Field(foreign_key='user.id', index=True, ondelete='CASCADE')
    requester_id: int = Field(foreign_key='user.id', ondelete='CASCADE')
    status: str = Field(default=FriendshipStatus.PENDING, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
