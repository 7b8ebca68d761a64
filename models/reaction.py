"""A person's reaction (one emoji of a fixed set) to a message: one row per (message, person, emoji)."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

REACTIONS = ('👍', '❤️', '😂', '😮', '😢', '🙏')
"""The quick set a person picks from; the service refuses anything else."""
EMOJI_MAX = 16
"""Longest emoji stored (a heart with its variation selector is two code points)."""


class Reaction(SQLModel, table=True):
    """The primary key makes a reaction a toggle: the same person cannot add the same emoji twice."""

    message_id: int = Field(foreign_key='message.id', primary_key=True, ondelete='CASCADE')
    user_id: int = Field(foreign_key='user.id', primary_key=True, index=True, ondelete='CASCADE')
    emoji: str = Field(primary_key=True, max_length=EMOJI_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
