"""The inbox's state as a small pure class: which conversations, in which order, and what each row shows (who is
typing, who is online). It knows nothing of NiceGUI; ``InboxView`` feeds it events and reads, then renders it.

Rows change from two sides that may cross: live events (a message, a read position) and reads of the database that
started before or after them. Every merge is therefore monotonic in sequence numbers: a row never goes back to an
older last message, and a read position never moves backwards, whatever order the two arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from chatapp.clock import as_utc
from chatapp.schemas import InboxPage, InboxRow, MessageData

TYPING_FADE = 6.0
"""Seconds a "typing…" stays after the typist's last ``Typing`` event."""
PREVIEW_MAX = 120
"""Characters of the last message a row keeps and shows (CSS cuts it to one line anyway; a message may be 4,000
characters, and fifty rows of them would be memory on every open page)."""


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
    rows: dict[int, InboxRow] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    """People's names learnt from rows and typing events (a ``MessagePosted`` carries only the sender's id)."""
    typing: dict[int, dict[int, tuple[str, float]]] = field(default_factory=dict)
    """``{conversation_id: {user_id: (name, fades at)}}`` on the caller's monotonic clock."""
    online: dict[int, bool] = field(default_factory=dict)
    has_more: bool = False
    cursor: str | None = None

    def ordered(self) -> list[InboxRow]:
        """Newest activity first (ties: newer conversation first, so the order is stable)."""
        return sorted(self.rows.values(), key=lambda row: (as_utc(row.last_activity_at), row.conversation_id),
                      reverse=True)

    def replace(self, page: InboxPage, cursor: str | None) -> None:
        """Show ``page`` alone (a new filter, or a re-read after a reconnect)."""
        old = self.rows
        self.rows = {}
        for row in page.rows:
            self.rows[row.conversation_id] = _merge(old.get(row.conversation_id), _slim(row))
            self._learn(row)
        self.has_more, self.cursor = page.has_more, cursor

    def extend(self, page: InboxPage, cursor: str | None) -> None:
        """Add the next page ("Load more") below what is shown."""
        for row in page.rows:
            self.put(row)
        self.has_more, self.cursor = page.has_more, cursor

    def put(self, row: InboxRow) -> None:
        """Add or update one row from a read."""
        self.rows[row.conversation_id] = _merge(self.rows.get(row.conversation_id), _slim(row))
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
        newest = row.last_message.seq if row.last_message is not None else 0
        if message.seq <= newest:
            return Took.SAME
        mine = message.sender_id == self.me
        label = 'You' if mine else self.names.get(message.sender_id)
        if label is None and row.peer is not None and row.peer.id == message.sender_id:
            label = row.peer.label
        self.rows[message.conversation_id] = row.model_copy(update={
            'last_message': _slim_message(message),
            'sender_label': label,
            'last_seq': max(row.last_seq, message.seq),
            'last_activity_at': max(as_utc(row.last_activity_at), as_utc(message.created_at)),
            # Sending moves the sender's own read position (my own messages are never unread).
            'read_seq': max(row.read_seq, message.seq) if mine else row.read_seq,
        })
        self.stop_typing(message.conversation_id, message.sender_id)
        return Took.UNKNOWN if label is None and message.kind == 'text' else Took.CHANGED

    def read_to(self, conversation_id: int, read_seq: int) -> bool:
        """My read position moved (in this tab or another); True if the row changed."""
        row = self.rows.get(conversation_id)
        if row is None or read_seq <= row.read_seq:
            return False
        self.rows[conversation_id] = row.model_copy(update={'read_seq': read_seq})
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
        return [row.peer.id for row in self.rows.values() if row.peer is not None]

    def _learn(self, row: InboxRow) -> None:
        if row.peer is not None:
            self.names[row.peer.id] = row.peer.label
        message = row.last_message
        if message is not None and row.sender_label and message.sender_id != self.me:
            self.names[message.sender_id] = row.sender_label


def _merge(old: InboxRow | None, new: InboxRow) -> InboxRow:
    """``new`` (a read) with whatever ``old`` already knew that is newer: events may have overtaken the read."""
    if old is None:
        return new
    update: dict[str, object] = {'read_seq': max(old.read_seq, new.read_seq)}
    old_newest = old.last_message.seq if old.last_message is not None else 0
    new_newest = new.last_message.seq if new.last_message is not None else 0
    if old_newest > new_newest:
        update.update(last_message=old.last_message, sender_label=old.sender_label, last_seq=max(old.last_seq,
                      new.last_seq), last_activity_at=max(as_utc(old.last_activity_at), as_utc(new.last_activity_at)))
    return new.model_copy(update=update)


def one_line(text: str) -> str:
    """The first non-blank line, cut to ``PREVIEW_MAX`` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), '')
    return line if len(line) <= PREVIEW_MAX else line[:PREVIEW_MAX - 1] + '…'


def _slim(row: InboxRow) -> InboxRow:
    message = row.last_message
    slim = _slim_message(message) if message is not None else None
    return row if slim is message else row.model_copy(update={'last_message': slim})


def _slim_message(message: MessageData) -> MessageData:
    """A text message as much as a row shows of it (a timeline event's body is its JSON: kept whole, and short)."""
    if message.kind != 'text' or len(message.body) <= PREVIEW_MAX:
        return message
    return message.model_copy(update={'body': one_line(message.body)})
