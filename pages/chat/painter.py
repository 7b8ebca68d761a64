"""How each shown message looks: runs of one sender, the "New messages" line, the receipt line, timeline events.

Pure: it knows nothing of NiceGUI. A message belongs to the run of the one before it when both are text messages of
one sender, at most ``RUN_GAP`` apart, with no "New messages" line between them; a run shows the sender's name on
its first message and the time on its last, as WhatsApp and Telegram do. In a direct chat my side shows no name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol

from chatapp.clock import as_utc
from chatapp.schemas import AttachmentInfo, Quote
from pages.chat.bubble import Attached, Carried, Look, Reacted
from pages.chat.sizes import size_text
from pages.timezone import stamp

RUN_GAP = timedelta(minutes=5)
EARLIER = 'A message from before you joined'
DELETED_QUOTE = 'Deleted message'
MAX_STAMPS = 4096
"""Minutes remembered at most, for all views of the process together (a block is drawn again for every message that
joins it, on every page it reaches; one cache for all pages holds no strings per page)."""


class Said(Protocol):
    """A message as the painter reads it: a ``MessageData``, or the ``Shown`` record a block keeps of one."""

    @property
    def seq(self) -> int: ...
    @property
    def sender_id(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def edited(self) -> bool: ...
    @property
    def reply(self) -> Quote | None: ...
    @property
    def reactions(self) -> Reacted: ...
    @property
    def attachment(self) -> AttachmentInfo | Carried | None: ...
    @property
    def change_seq(self) -> int: ...


@dataclass(frozen=True)
class ReceiptLine:
    """The one receipt a view shows: under message ``seq``, saying ``text``; ``names`` opens who read it."""

    seq: int
    text: str
    names: bool = False


class Painter:
    """Turns messages into ``Look``s for one viewer."""

    def __init__(self, *, me: int, direct: bool, zone: tzinfo, name_of: Callable[[int], str],
                 describe: Callable[[Said], str], floor: int = 0) -> None:
        self.me = me
        self.floor = floor
        """The viewer's join point: a quote of a message at or before it shows no text."""
        self.direct = direct
        self.zone = zone
        self._name_of = name_of
        self._describe = describe
        self.divider_seq: int | None = None
        """The first unread message when the view opened: the "New messages" line goes before it."""
        self.receipt: ReceiptLine | None = None
        self.usernames: frozenset[str] = frozenset()
        """Members whose ``@username`` is highlighted (groups)."""
        self.target_seq: int | None = None
        """The message a jump went to."""
        self.actions = True
        """Bubbles offer their actions (not once the conversation has closed)."""
        self.blocked: frozenset[int] = frozenset()
        """People I block: their messages are collapsed."""
        self.avatar_of: Callable[[int], str | None] = lambda user_id: None
        """The ``<img>`` of a member's picture (groups), or None."""
        self.file_url: Callable[[int, str], str] | None = None
        """The link that fetches an attachment (its id, ``full`` or ``thumb``) for this viewer."""

    def continues(self, earlier: Said | None, later: Said | None) -> bool:
        """Whether ``later`` belongs to the run of ``earlier``."""
        if earlier is None or later is None or earlier.kind != 'text' or later.kind != 'text':
            return False
        if earlier.sender_id != later.sender_id or later.seq == self.divider_seq:
            return False
        return timedelta(0) <= as_utc(later.created_at) - as_utc(earlier.created_at) <= RUN_GAP

    def looks(self, messages: Sequence[Said], *, before: Said | None = None, after: Said | None = None
              ) -> list[Look]:
        """``messages`` in a row; ``before``/``after`` are the messages shown just before and after them."""
        day = datetime.now(self.zone).date()
        looks = []
        for index, message in enumerate(messages):
            previous = messages[index - 1] if index else before
            following = messages[index + 1] if index + 1 < len(messages) else after
            looks.append(self.look(message, previous, following, day=day))
        return looks

    def look(self, message: Said, previous: Said | None, following: Said | None, *, day: date | None = None
             ) -> Look:
        mine = message.sender_id == self.me
        receipt = self.receipt if self.receipt is not None and self.receipt.seq == message.seq else None
        common = {'divider': message.seq == self.divider_seq, 'receipt': receipt.text if receipt else None,
                  'receipt_names': bool(receipt and receipt.names)}
        if message.kind == 'event':
            return Look(self._describe(message), mine, event=True, seq=message.seq, **common)  # type: ignore[arg-type]
        name = None
        if not self.continues(previous, message) and not (mine and self.direct):
            name = 'You' if mine else self._name_of(message.sender_id)
        time = None
        if not self.continues(message, following):
            time = _stamp(message.created_at, self.zone, day or datetime.now(self.zone).date())
        if message.deleted:
            return Look('', mine, name=name, stamp=time, seq=message.seq, deleted=True,
                        target=message.seq == self.target_seq, **common)  # type: ignore[arg-type]
        if message.sender_id in self.blocked:
            return Look(message.body, mine, name=name, stamp=time, seq=message.seq, collapsed=True,
                        **common)  # type: ignore[arg-type]
        avatar = self.avatar_of(message.sender_id) if name and not mine else None
        if not (message.change_seq or message.reply or message.attachment) \
                and not (self.usernames and '@' in message.body):
            # Most messages: text only. Drawn for every page a block reaches, each time a message joins it. An "@"
            # matters only where names are highlighted (groups): in a direct chat the full look would be the same.
            return Look(message.body, mine, name, time, seq=message.seq, actions=self.actions,
                        target=message.seq == self.target_seq, avatar=avatar, **common)  # type: ignore[arg-type]
        return Look(message.body, mine, name=name, stamp=time, seq=message.seq, edited=message.edited,
                    quote=self._quote(message.reply), reactions=self._reactions(message.reactions),
                    mentionable=self.usernames if '@' in message.body else frozenset(), actions=self.actions,
                    target=message.seq == self.target_seq, attachment=self._attached(message.attachment),
                    avatar=avatar, **common)  # type: ignore[arg-type]

    def _attached(self, attachment: AttachmentInfo | Carried | None) -> Attached | None:
        if attachment is None or self.file_url is None:
            return None
        image = attachment.kind == 'image'
        return Attached(image, attachment.filename, size_text(attachment.size),
                        self.file_url(attachment.id, 'full'),
                        self.file_url(attachment.id, 'thumb') if image else '', attachment.width, attachment.height)

    def _quote(self, quote: Quote | None) -> tuple[str, str] | None:
        if quote is None:
            return None
        if quote.seq <= self.floor:
            return '', EARLIER
        return self._name_of(quote.sender_id), DELETED_QUOTE if quote.deleted else quote.excerpt

    def _reactions(self, reactions: Reacted) -> tuple[tuple[str, int, bool, str], ...]:
        return tuple((emoji, len(user_ids), self.me in user_ids, ', '.join(self._name_of(u) for u in user_ids))
                     for emoji, user_ids in reactions if user_ids)


def _stamp(moment: datetime, zone: tzinfo, day: date) -> str:
    """A message's time as shown; ``day`` (today in ``zone``) is part of the key because "14:05" becomes
    "3 Mar 14:05" at midnight. Remembered by the minute, which is all a stamp shows: keyed by the moment itself,
    1,000 open pages of 50 messages had 50,000 keys for 4,096 places, and nearly every look missed (3.5-6.3 µs a
    stamp, most of the bubbles a block redraw paints)."""
    return _minute_stamp(int(as_utc(moment).timestamp()) // 60, zone, day)


@lru_cache(maxsize=MAX_STAMPS)
def _minute_stamp(minute: int, zone: tzinfo, day: date) -> str:
    """The stamp of the minute that starts ``minute`` minutes after the epoch (every zone's offset since the
    1970s is whole minutes, so the minute shown is that one)."""
    return stamp(datetime.fromtimestamp(minute * 60, UTC), zone)
