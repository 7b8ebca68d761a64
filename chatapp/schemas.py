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


class ChatInfo(Frozen):
    """A conversation as a member opens it: who is in it and its newest page of messages."""

    conversation_id: int
    me: UserPublic
    peer: UserPublic
    messages: list[MessageData]
    has_earlier: bool
