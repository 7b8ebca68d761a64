"""The inbox's state as a small pure class: which conversations, in which order, and what each row shows (who is
typing, who is online). It knows nothing of NiceGUI; ``InboxView`` feeds it events and reads, then renders it.

Rows change from two sides that may cross: live events (a message, a read position) and reads of the database that
started before or after them. Every merge is therefore monotonic in sequence numbers: a row never goes back to an
older last message, and a read position never moves backwards, whatever order the two arrive in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from chatapp import timeline
from chatapp.clock import as_utc
from chatapp.schemas import InboxPage, InboxRow, MessageData
from pages.chat.bubble import DELETED

TYPING_FADE = 6.0
"""Seconds a "typing…" stays after the typist's last ``Typing`` event."""
PREVIEW_MAX = 120
"""Characters of the last message a row keeps and shows (CSS cuts it to one line anyway; a message may be 4,000
characters, and fifty rows of them would be memory on every open page)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One conversation as its row shows it, and nothing more.

    Every open page holds its list, so a row keeps a few strings and numbers instead of the service's ``InboxRow``
    (three pydantic models with the last message's whole body: about 3 KB a row). Immutable: a change makes a new
    ``Row``, so the view can tell a row it drew before by its identity."""

    conversation_id: int
    group: bool
    title: str
    path: str
    peer_id: int | None
    """The other person of a direct conversation (``None``: a group)."""
    peer_username: str | None
    peer_label: str | None
    muted: bool
    last_seq: int
    read_seq: int
    last_activity_at: datetime
    seq: int
    """The sequence number of the last message shown (0: none yet)."""
    sender_id: int | None
    text: str | None
    """The last message as one line (a timeline event as its sentence); ``None``: nothing yet."""
    event: bool
    """Whether the last message is a timeline event."""
    at: datetime | None
    """When the last message was sent."""
    sender_label: str | None
    """Name of the last message's sender ("You" for mine), shown first in groups."""
    mention_seq: int = 0
    """The newest message that mentions me."""
    peer_avatar: str | None = None
    """The other person's profile picture (its hash, ``UserPublic.avatar``); ``None``: initials."""

    @property
    def mentioned(self) -> bool:
        """A message that mentions me is unread: the row says so even when muted."""
        return self.mention_seq > self.read_seq

    @property
    def unread(self) -> int:
        """From positions, never from counting rows."""
        return max(0, self.last_seq - self.read_seq)

    @classmethod
    def of(cls, row: InboxRow, me: int) -> Row:
        """What ``row`` shows, for ``me``."""
        peer, message = row.peer, row.last_message
        seq, sender_id, text, event, at, label = (_last(message, row.sender_label, me) if message is not None
                                                  else _NOTHING)
        return cls(row.conversation_id, row.kind == 'group', row.title, row.path,
                   peer.id if peer is not None else None, peer.username if peer is not None else None,
                   peer.label if peer is not None else None, row.muted, row.last_seq, row.read_seq,
                   as_utc(row.last_activity_at), seq, sender_id, text, event, at, label, row.mention_seq,
                   peer.avatar if peer is not None else None)


_NOTHING: tuple[int, None, None, bool, None, None] = (0, None, None, False, None, None)


def _last(message: MessageData, sender_label: str | None, me: int
          ) -> tuple[int, int, str, bool, datetime, str | None]:
    """The last-message fields of a ``Row``: (seq, sender_id, text, event, at, sender_label)."""
    event = message.kind != 'text'
    text = DELETED if message.deleted else one_line(timeline.describe(message, me) if event else summary(message))
    return message.seq, message.sender_id, text, event, as_utc(message.created_at), sender_label


class Took(Enum):
    """What ``Listing.take`` made of a message."""

    CHANGED = 'changed'
    SAME = 'same'
    """Heard before (the hub may deliver twice) or older than what the row shows."""
    UNKNOWN = 'unknown'
    """The row is not in the list, or it is a group message from someone whose name is not known yet: read it."""


@dataclass
class Listing:
    """The rows of one person's inbox, keyed by conversation id."""

    me: int
    rows: dict[int, Row] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    """People's names learnt from rows and typing events (a ``MessagePosted`` carries only the sender's id)."""
    typing: dict[int, dict[int, tuple[str, float]]] = field(default_factory=dict)
    """``{conversation_id: {user_id: (name, fades at)}}`` on the caller's monotonic clock."""
    online: dict[int, bool] = field(default_factory=dict)
    has_more: bool = False
    cursor: str | None = None

    def ordered(self) -> list[Row]:
        """Newest activity first (ties: newer conversation first, so the order is stable)."""
        return sorted(self.rows.values(), key=lambda row: (row.last_activity_at, row.conversation_id),
                      reverse=True)

    def replace(self, page: InboxPage, cursor: str | None) -> None:
        """Show ``page`` alone (a new filter, or a re-read after a reconnect)."""
        old = self.rows
        self.rows = {}
        for row in page.rows:
            self.rows[row.conversation_id] = _merge(old.get(row.conversation_id), Row.of(row, self.me))
            self._learn(row)
        self.has_more, self.cursor = page.has_more, cursor

    def extend(self, page: InboxPage, cursor: str | None) -> None:
        """Add the next page ("Load more") below what is shown."""
        for row in page.rows:
            self.put(row)
        self.has_more, self.cursor = page.has_more, cursor

    def put(self, row: InboxRow) -> None:
        """Add or update one row from a read."""
        self.rows[row.conversation_id] = _merge(self.rows.get(row.conversation_id), Row.of(row, self.me))
        self._learn(row)

    def drop(self, conversation_id: int) -> bool:
        """Forget a conversation I left or lost; True if it was shown."""
        self.typing.pop(conversation_id, None)
        return self.rows.pop(conversation_id, None) is not None

    def take(self, message: MessageData) -> Took:
        """A message (or timeline event) was posted: its row shows it and moves to the top."""
        row = self.rows.get(message.conversation_id)
        if row is None:
            return Took.UNKNOWN
        if message.seq <= row.seq:
            return Took.SAME
        mine = message.sender_id == self.me
        label = 'You' if mine else self.names.get(message.sender_id)
        if label is None and row.peer_id == message.sender_id:
            label = row.peer_label
        seq, sender_id, text, event, at, label = _last(message, label, self.me)
        self.rows[message.conversation_id] = dataclasses.replace(
            row, seq=seq, sender_id=sender_id, text=text, event=event, at=at, sender_label=label,
            last_seq=max(row.last_seq, seq), last_activity_at=max(row.last_activity_at, at),
            # Sending moves the sender's own read position (my own messages are never unread).
            read_seq=max(row.read_seq, seq) if mine else row.read_seq,
            mention_seq=seq if self.me in message.mentions else row.mention_seq)
        self.stop_typing(message.conversation_id, message.sender_id)
        return Took.UNKNOWN if label is None and message.kind == 'text' else Took.CHANGED

    def change(self, message: MessageData) -> bool:
        """A message was edited or deleted: the row shows its new text when it is the last one; True if changed."""
        row = self.rows.get(message.conversation_id)
        if row is None or row.seq != message.seq or message.kind != 'text':
            return False
        text = _last(message, row.sender_label, self.me)[2]
        if text == row.text:
            return False
        self.rows[message.conversation_id] = dataclasses.replace(row, text=text)
        return True

    def person_changed(self, user_id: int, label: str, avatar: str | None) -> bool:
        """Someone has a new name or picture (``ProfileChanged``): the title and picture of our direct conversation,
        and the sender's name on the last line of groups, show them; True if any row changed."""
        if user_id == self.me:
            return False  # my own messages say "You", and I have no row of my own
        if user_id in self.names:
            self.names[user_id] = label
        changed = False
        for conversation_id, row in self.rows.items():
            if row.peer_id == user_id:
                new = dataclasses.replace(row, title=label, peer_label=label, peer_avatar=avatar,
                                          sender_label=label if row.sender_id == user_id else row.sender_label)
            elif row.sender_id == user_id:
                new = dataclasses.replace(row, sender_label=label)
            else:
                continue
            if new != row:
                self.rows[conversation_id] = new
                changed = True
        return changed

    def read_to(self, conversation_id: int, read_seq: int) -> bool:
        """My read position moved (in this tab or another); True if the row changed."""
        row = self.rows.get(conversation_id)
        if row is None or read_seq <= row.read_seq:
            return False
        self.rows[conversation_id] = dataclasses.replace(row, read_seq=read_seq)
        return True

    def start_typing(self, conversation_id: int, user_id: int, name: str, now: float) -> None:
        self.names.setdefault(user_id, name)
        self.typing.setdefault(conversation_id, {})[user_id] = (name, now + TYPING_FADE)

    def stop_typing(self, conversation_id: int, user_id: int) -> bool:
        """True if that person was shown typing there."""
        typists = self.typing.get(conversation_id)
        if not typists or typists.pop(user_id, None) is None:
            return False
        if not typists:
            del self.typing[conversation_id]
        return True

    def fade(self, now: float) -> bool:
        """Drop typists whose last event is ``TYPING_FADE`` old; True if any went."""
        faded = False
        for conversation_id, typists in list(self.typing.items()):
            for user_id, (_, until) in list(typists.items()):
                if until <= now:
                    faded = self.stop_typing(conversation_id, user_id) or faded
        return faded

    def next_fade(self) -> float | None:
        """When the next typist fades (None: nobody types)."""
        return min((until for typists in self.typing.values() for _, until in typists.values()), default=None)

    def typists(self, conversation_id: int) -> list[str]:
        """Names of the people typing in a conversation, in the order they started."""
        return [name for name, _ in self.typing.get(conversation_id, {}).values()]

    def direct_peers(self) -> list[int]:
        """The other people of my direct conversations shown (whose presence the rows show)."""
        return [row.peer_id for row in self.rows.values() if row.peer_id is not None]

    def _learn(self, row: InboxRow) -> None:
        if row.peer is not None:
            self.names[row.peer.id] = row.peer.label
        message = row.last_message
        if message is not None and row.sender_label and message.sender_id != self.me:
            self.names[message.sender_id] = row.sender_label


def _merge(old: Row | None, new: Row) -> Row:
    """``new`` (a read) with whatever ``old`` already knew that is newer: events may have overtaken the read."""
    if old is None:
        return new
    read_seq = max(old.read_seq, new.read_seq)
    if old.seq > new.seq:
        return dataclasses.replace(new, seq=old.seq, sender_id=old.sender_id, text=old.text, event=old.event,
                                   at=old.at, sender_label=old.sender_label, read_seq=read_seq,
                                   last_seq=max(old.last_seq, new.last_seq),
                                   last_activity_at=max(old.last_activity_at, new.last_activity_at),
                                   mention_seq=max(old.mention_seq, new.mention_seq))
    return new if read_seq == new.read_seq else dataclasses.replace(new, read_seq=read_seq)


def summary(message: MessageData) -> str:
    """A text message as a line of the inbox or a toast: its text, or what it carries when it has no caption."""
    carried = message.attachment
    if carried is None:
        return message.body
    what = '📷 Picture' if carried.kind == 'image' else f'📎 {carried.filename}'
    return f'{what}: {message.body}' if message.body.strip() else what


def one_line(text: str) -> str:
    """The first non-blank line, cut to ``PREVIEW_MAX`` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), '')
    return line if len(line) <= PREVIEW_MAX else line[:PREVIEW_MAX - 1] + '…'

