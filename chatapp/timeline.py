"""Timeline events ("Alice added Bob") as stored in a ``Message(kind='event')``: a small JSON body written by the
group services and turned into a sentence for whoever reads it.

Names are captured when the event happens, as chat apps show them: a later rename of an account or of the group does
not rewrite history, and a reader needs no lookups to render an old event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from chatapp.schemas import UserPublic

EventKind = Literal['created', 'added', 'removed', 'left', 'renamed', 'admin']
EVENT_KINDS: frozenset[str] = frozenset(get_args(EventKind))
UNKNOWN = 'The group was changed'
"""What a body this module cannot read says (written by a newer version, or damaged): never an error in a page."""


@dataclass(frozen=True)
class Person:
    """Someone an event names, with the name they had then."""

    id: int
    name: str


@dataclass(frozen=True)
class TimelineEvent:
    """A decoded event: ``actor`` did ``kind`` to ``targets``; ``title`` is the group's name for created/renamed.
    For ``left``, ``targets`` is the member who became admin because the last admin left (or empty)."""

    kind: EventKind
    actor: Person
    targets: tuple[Person, ...]
    title: str | None


def encode(kind: EventKind, actor: UserPublic, targets: Sequence[UserPublic] = (), title: str | None = None) -> str:
    """The body of the event message."""
    return json.dumps({'v': 1, 'kind': kind, 'actor': _person(actor), 'targets': [_person(t) for t in targets],
                       'title': title}, ensure_ascii=False, separators=(',', ':'))


def decode(body: str) -> TimelineEvent | None:
    """The event in ``body``, or None when it is not one this version understands."""
    try:
        data = json.loads(body)
        kind = data['kind']
        if kind not in EVENT_KINDS:
            return None
        actor = Person(int(data['actor']['id']), str(data['actor']['name']))
        targets = tuple(Person(int(t['id']), str(t['name'])) for t in data.get('targets') or ())
        title = data.get('title')
        return TimelineEvent(kind, actor, targets, None if title is None else str(title))
    except (ValueError, TypeError, KeyError):
        return None


class HasBody(Protocol):
    """What ``describe`` reads of a message: a ``MessageData``, or the slimmer record a page keeps of one."""

    @property
    def body(self) -> str: ...


def describe(message: HasBody, me: int) -> str:
    """The sentence ``me`` reads for this event: "You added Bob and Carol", "Alice left", "Alice made you an admin"."""
    event = decode(message.body)
    if event is None:
        return UNKNOWN
    who = 'You' if event.actor.id == me else event.actor.name
    targets = _names(event.targets, me)
    if event.kind == 'created':
        return f'{who} created the group “{event.title}”'
    if event.kind == 'added':
        return f'{who} added {targets}'
    if event.kind == 'removed':
        return f'{who} removed {targets}'
    if event.kind == 'renamed':
        return f'{who} renamed the group to “{event.title}”'
    if event.kind == 'admin':
        return f'{who} made {targets} an admin'
    # left
    if not event.targets:
        return f'{who} left'
    promoted = 'you are' if event.targets[0].id == me else f'{event.targets[0].name} is'
    return f'{who} left; {promoted} now an admin'


def _person(user: UserPublic) -> dict[str, object]:
    return {'id': user.id, 'name': user.label}


def _names(people: Sequence[Person], me: int) -> str:
    """"you", "Bob and Carol", "you, Bob and Carol": the reader first, in the order the event lists the others."""
    names = ['you' for p in people if p.id == me] + [p.name for p in people if p.id != me]
    if not names:
        return 'nobody'
    return names[0] if len(names) == 1 else f'{", ".join(names[:-1])} and {names[-1]}'
