"""The events that travel on the broker. Each names its recipients: choosing them is a security decision made by the
service that emits the event (see the docstring of each emitting service), never by the receiver."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chatapp.schemas import MessageData, UserPublic


class BaseEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipients: tuple[int, ...]
    """User ids whose open views in any process should hear about this."""


class MessagePosted(BaseEvent):
    """A message was stored; members' open conversation views append it."""

    kind: Literal['message'] = 'message'
    message: MessageData


class MessageChanged(BaseEvent):
    """A stored message was edited, deleted or reacted to: ``message`` is its new state, its ``change_seq`` its place in
    the conversation's numbering of changes. Recipients: the conversation's members at the moment of the commit."""

    kind: Literal['changed'] = 'changed'
    message: MessageData


class FriendshipChanged(BaseEvent):
    """A request was sent, accepted, declined or cancelled, or a friendship ended, between ``user_ids``."""

    kind: Literal['friendship'] = 'friendship'
    user_ids: tuple[int, int]
    status: Literal['pending', 'accepted', 'removed']


class MembershipChanged(BaseEvent):
    """A group was created, renamed or deleted, or ``user_ids`` were added, removed, left, made admin; or (sent to the
    member alone) a member muted or unmuted it. Recipients: the members before and after the change, so a removed
    member's views hear that they must close. The timeline event that goes with it travels as ``MessagePosted``."""

    kind: Literal['membership'] = 'membership'
    conversation_id: int
    user_ids: tuple[int, ...] = ()
    change: Literal['created', 'added', 'removed', 'left', 'renamed', 'admin', 'deleted', 'muted']


class ReadMoved(BaseEvent):
    """``user_id`` has read ``conversation_id`` up to ``read_seq``. Recipients: the reader (their other tabs clear
    their badges) and, when both sides allow read receipts, the other members."""

    kind: Literal['read'] = 'read'
    conversation_id: int
    user_id: int
    read_seq: int
    read_at: datetime


class Typing(BaseEvent):
    """Ephemeral: ``user_id`` is typing in ``conversation_id`` (``active``) or stopped. Never stored, never
    replayed. Recipients: the other members."""

    kind: Literal['typing'] = 'typing'
    conversation_id: int
    user_id: int
    name: str
    active: bool


class PresenceChanged(BaseEvent):
    """Ephemeral: ``user_id`` came online or went offline (``last_seen_at`` then says when). Recipients: friends and
    fellow group members who show their own presence, only when ``user_id`` shows theirs."""

    kind: Literal['presence'] = 'presence'
    user_id: int
    online: bool
    last_seen_at: datetime | None = None


class SessionsEnded(BaseEvent):
    """Browsers' proofs of ``user_id`` made before ``epoch`` no longer count ("sign out everywhere", a password
    change, the account deleted): the account's open pages go to the login page, except those of the browser tagged
    ``kept`` (the one that changed the password; see ``pages.identity``). Recipients: that account alone."""

    kind: Literal['sessions'] = 'sessions'
    user_id: int
    epoch: int
    kept: str | None = None


class ProfileChanged(BaseEvent):
    """``user_id`` has a new display name or profile picture (set, replaced or removed): views that show them draw
    the new one without reading the database. Recipients: the person (their other tabs), their friends and the
    members of their groups (``services.profiles``)."""

    kind: Literal['profile'] = 'profile'
    user_id: int
    username: str
    display_name: str
    avatar: str | None = None

    @property
    def user(self) -> UserPublic:
        """The person as views show them."""
        return UserPublic(id=self.user_id, username=self.username, display_name=self.display_name,
                          avatar=self.avatar)


Event = Annotated[MessagePosted | MessageChanged | FriendshipChanged | MembershipChanged | ReadMoved | Typing
                  | PresenceChanged | SessionsEnded | ProfileChanged,
                  Field(discriminator='kind')]
_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def encode(event: Event) -> bytes:
    """JSON for the wire."""
    return event.model_dump_json().encode()


def decode(data: bytes | str) -> Event:
    """The event back from JSON; raises ``pydantic.ValidationError`` on anything else."""
    return _adapter.validate_json(data)
