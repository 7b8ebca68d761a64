"""What services hand to pages: plain frozen data, detached from any database session and never a password hash."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class UserPublic(Frozen):
    """Everything about an account that another person may see."""

    id: int
    username: str
    display_name: str

    @property
    def label(self) -> str:
        """The name to show: the display name when there is one."""
        return self.display_name or self.username


class MessageData(Frozen):
    """One message as views render it and as it travels on the broker."""

    id: int
    conversation_id: int
    seq: int
    sender_id: int
    body: str
    created_at: datetime
    kind: str = 'text'
    """``text``, or ``event`` for a timeline event whose ``body`` is JSON (see ``chatapp.timeline``)."""


class Relation(StrEnum):
    """Where I stand with another person; it picks the action a search result offers."""

    NONE = 'none'
    REQUESTED = 'requested'  # I asked them
    INCOMING = 'incoming'  # they asked me
    FRIENDS = 'friends'


class PersonResult(Frozen):
    """A search hit with my relation to that person."""

    user: UserPublic
    relation: Relation


class SearchPage(Frozen):
    """One page of people search results."""

    results: list[PersonResult]
    page: int
    has_more: bool


class FriendsOverview(Frozen):
    """Everything the dashboard lists, read in one go."""

    friends: list[UserPublic]
    incoming: list[UserPublic]
    outgoing: list[UserPublic]


class MemberInfo(Frozen):
    """A member of a conversation as its other members see them."""

    user: UserPublic
    role: str
    joined_at: datetime


class Receipt(Frozen):
    """How far another member has read (only when both sides allow read receipts)."""

    user_id: int
    read_seq: int
    read_at: datetime | None


class ChatInfo(Frozen):
    """A conversation as a member opens it: who is in it, where I stand, and its newest page of messages (never
    anything at or before ``joined_seq``). My unread messages are those after ``read_seq``."""

    conversation_id: int
    kind: str
    title: str
    """The group's name, or the other person's name in a direct conversation."""
    path: str
    """Where the conversation lives: ``/chat/<username>`` or ``/group/<id>``."""
    me: UserPublic
    peer: UserPublic | None
    """The other person of a direct conversation; ``None`` for a group."""
    members: list[MemberInfo]
    my_role: str
    muted: bool
    joined_seq: int
    read_seq: int
    last_seq: int
    receipts: list[Receipt]
    messages: list[MessageData]
    has_earlier: bool


class InboxRow(Frozen):
    """One conversation in my inbox."""

    conversation_id: int
    kind: str
    title: str
    path: str
    peer: UserPublic | None
    last_message: MessageData | None
    """The newest message or event I may see (``None``: nothing yet)."""
    sender_label: str | None
    """Name of the newest message's sender ("You" for mine), shown first in groups."""
    last_activity_at: datetime
    last_seq: int
    read_seq: int
    muted: bool

    @property
    def unread(self) -> int:
        """From positions, never from counting rows."""
        return max(0, self.last_seq - self.read_seq)


class InboxPage(Frozen):
    """A page of my inbox, newest activity first."""

    rows: list[InboxRow]
    has_more: bool
    unread_total: int
    """Unread messages over all my conversations that are not muted (for the tab title)."""
    next_cursor: str | None = None
    """Pass as ``before`` to get the next page ("load more"); ``None`` when ``has_more`` is false."""


class PresenceInfo(Frozen):
    """Whether a person is online, as the asking person may see it."""

    user_id: int
    online: bool
    last_seen_at: datetime | None


class Privacy(Frozen):
    """A person's privacy choices (both reciprocal)."""

    read_receipts: bool
    show_presence: bool
