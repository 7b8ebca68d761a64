"""A failed login, kept briefly so repeated failures can be slowed down in every process alike."""

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

KEY_MAX = 160
"""Longest stored key: the column's size; longer keys are cut to it before they are stored."""


class LoginFailure(SQLModel, table=True):
    """``key`` is ``user:<name>`` or ``client:<address>``; rows older than the window are deleted as we go."""

    __tablename__ = 'login_failure'
    __table_args__ = (Index('ix_login_failure_key_at', 'key', 'at'),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_MAX)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
