"""The events that travel on the broker. Each names its recipients: choosing them is a security decision made by the
service that emits the event (see the docstring of each emitting service), never by the receiver."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chatapp.schemas import MessageData


class BaseEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipients: tuple[int, ...]
    """User ids whose open views in any process should hear about this."""


class MessagePosted(BaseEvent):
    """A message was stored; members' open conversation views append it."""

    kind: Literal['message'] = 'message'
    message: MessageData


class FriendshipChanged(BaseEvent):
    """A request was sent, accepted, declined or cancelled, or a friendship ended, between ``user_ids``."""

    kind: Literal['friendship'] = 'friendship'
    user_ids: tuple[int, int]
    status: Literal['pending', 'accepted', 'removed']


Event = Annotated[MessagePosted | FriendshipChanged, Field(discriminator='kind')]
_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def encode(event: Event) -> bytes:
    """JSON for the wire."""
    return event.model_dump_json().encode()


def decode(data: bytes | str) -> Event:
    """The event back from JSON; raises ``pydantic.ValidationError`` on anything else."""
    return _adapter.validate_json(data)
