"""A file or picture sent in a conversation: its bytes live in the file store under their content hash
(``chatapp.files``); this row says who sent it where, what it is, and which message carries it."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from chatapp.clock import utcnow

FILENAME_MAX = 255
"""Longest cleaned file name kept."""


class Attachment(SQLModel, table=True):
    """Uploaded first (``message_id`` empty), then carried by the message that sends it. An upload never sent is
    removed after a while; the bytes go when no attachment names their hash any more."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key='user.id', index=True, ondelete='CASCADE')
    conversation_id: int = Field(foreign_key='conversation.id', index=True, ondelete='CASCADE')
    message_id: int | None = Field(default=None, foreign_key='message.id', index=True, ondelete='SET NULL')
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    """``image`` (decoded and re-encoded, with thumbnails) or ``file`` (served as a download)."""
    mime: str = Field(max_length=100)
    """Found from the content, never from the name or the browser's claim."""
    filename: str = Field(max_length=FILENAME_MAX)
    size: int
    """Bytes stored (for a picture: of the re-encoded image)."""
    width: int | None = Field(default=None)
    height: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
