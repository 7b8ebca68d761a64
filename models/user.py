"""A person's account. The password hash never leaves the services: pages get ``UserPublic``."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow


class User(SQLModel, table=True):
    """``username`` is stored lower-case, so uniqueness is case-insensitive by construction."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True)
    display_name: str = Field(default='', max_length=64)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
