"""One person blocking another: stored once per direction (``blocker_id`` blocks ``blocked_id``)."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow


class Blocking(SQLModel, table=True):
    """The blocked person is never told; the services read this table to refuse what a block stops."""

    blocker_id: int = Field(foreign_key='user.id', primary_key=True, ondelete='CASCADE')
    blocked_id: int = Field(foreign_key='user.id', primary_key=True, index=True, ondelete='CASCADE')
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
