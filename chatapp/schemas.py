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
    avatar: str | None = None
    """The profile picture's hash (``None``: initials); pages turn it into URLs with ``pages.avatar.avatar_url``."""

    @property
    def label(self) -> str:
        """The name to show: the display name when there is one."""
        return self.display_name or self.username


class Quote(Frozen):
    """The message a reply answers, as the reply shows it: its sender and the start of its first line."""

    seq: int
    sender_id: int
    excerpt: str
    """Empty when the quoted message was deleted."""
    deleted: bool = False


class Reactions(Frozen):
    """Who reacted to a message with one emoji, in the order they did."""

    emoji: str
    user_ids: tuple[int, ...]


class AttachmentInfo(Frozen):
    """A file or picture a message carries, as pages show it (its bytes are fetched through a signed URL, see
    ``chatapp.files``)."""

    id: int
    kind: str
    """``image`` or ``file``."""
    mime: str
    filename: str
    size: int
    width: int | None = None
    height: int | None = None


class MessageData(Frozen):
    """One message as views render it and as it travels on the broker. The fields after ``kind`` describe changes
    made after sending (see ``chatapp.services.message_changes``); a message never changed keeps their defaults."""

    id: int
    conversation_id: int
    seq: int
    sender_id: int
    body: str
    created_at: datetime
    kind: str = 'text'
    """``text``, or ``event`` for a timeline event whose ``body`` is JSON (see ``chatapp.timeline``)."""
    edited_at: datetime | None = None
    deleted: bool = False
    """Deleted by its sender: ``body`` is empty and views say "This message was deleted"."""
    change_seq: int = 0
    """The conversation's change number of this message's latest change (0: never changed)."""
    reply: Quote | None = None
    reactions: tuple[Reactions, ...] = ()
    mentions: tuple[int, ...] = ()
    """Members named with ``@username``, set on a message as it is posted (the inbox marks the mention); reads leave
    it empty (views find the names in the text themselves)."""
    attachment: AttachmentInfo | None = None


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
    change_seq: int = 0
    """The conversation's change number when read: the view applies changes after it (read before the messages,
    so a change committed in between is applied again, never missed)."""
    receipts: list[Receipt]
    blocked: list[int] = []
    """People I block (groups only): their messages are collapsed for me."""
    messages: list[MessageData]
    has_earlier: bool


class Updates(Frozen):
    """What a view missed: new messages, and messages changed after the view's change number."""

    messages: list[MessageData]
    changed: list[MessageData]
    change_seq: int
    """The change number the view has caught up to once it applied ``changed``; more may follow when
    ``changed`` was a full batch."""


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
    mention_seq: int = 0
    """The newest message that mentions me: marked while it is unread (``mention_seq > read_seq``), even muted."""

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


class Account(UserPublic):
    """The signed-in person's own account as pages hold it: also the session epoch that a browser's proof of the
    account records at login (``pages.identity``); a proof of an older epoch no longer counts."""

    session_epoch: int = 0


class Profile(Frozen):
    """A person's profile card as the asking person may see it (``services.profiles``)."""

    user: UserPublic
    about: str
    relation: Relation
    me: bool = False
    """The card is the asker's own."""
    blocked: bool = False
    """The asker has blocked this person (never the other way round: nobody learns who blocked them)."""


class SnippetPart(Frozen):
    """A stretch of a search hit's text; ``match`` marks a searched word. Plain text: the page escapes it."""

    text: str
    match: bool


class SearchHit(Frozen):
    """One message found by a search, with where it lives and the words around the match."""

    message_id: int
    conversation_id: int
    conversation_title: str
    path: str
    """The conversation's page; the page opens it at ``seq`` (``?at=``)."""
    seq: int
    sender_label: str
    created_at: datetime
    snippet: list[SnippetPart]


class MessageSearchPage(Frozen):
    """A page of message search results, best first."""

    hits: list[SearchHit]
    page: int
    has_more: bool
    limited: bool
    """Only the newest matches were ranked (see ``chatapp.services.search``): older ones may exist."""
