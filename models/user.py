"""A person's account. The password hash never leaves the services: pages get ``UserPublic``."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

USERNAME_MAX = 32
"""Longest username: the column's size, and the rule that sign-up states and lookups rely on."""
DISPLAY_NAME_MAX = 64
"""Longest display name: the column's size, and the rule that sign-up states."""
ABOUT_MAX = 140
"""Longest "about" line of a profile."""
AVATAR_HASH_LENGTH = 64
"""A SHA-256 in hex: what ``User.avatar`` holds."""


class User(SQLModel, table=True):
    """``username`` is stored lower-case, so uniqueness is case-insensitive by construction."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX, unique=True, index=True)
    display_name: str = Field(default='', max_length=DISPLAY_NAME_MAX)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    read_receipts: bool = Field(default=True)
    """Send and see read receipts; off is reciprocal: who hides theirs sees nobody's."""
    show_presence: bool = Field(default=True)
    """Show online / last seen; off is reciprocal: who hides theirs sees nobody's."""
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    """When the last of this person's pages closed (kept when they go offline)."""
    about: str = Field(default='', max_length=ABOUT_MAX)
    """A line about themselves that others see on the profile card."""
    session_epoch: int = Field(default=0)
    """Incremented by "sign out everywhere" and a password change: a browser that signed in under an older epoch is
    signed out at its next step."""
    avatar: str | None = Field(default=None, max_length=AVATAR_HASH_LENGTH)
    """The profile picture: the SHA-256 (hex) of its largest square size, which names its files
    (``chatapp.files.avatars``); ``None``: initials are shown."""
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    """When the account was deleted. The row stays (anonymised) so that the messages it wrote keep a sender, shown as
    "Deleted account"."""
