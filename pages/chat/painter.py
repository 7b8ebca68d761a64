"""How each shown message looks: runs of one sender, the "New messages" line, the receipt line, timeline events.

Pure: it knows nothing of NiceGUI. A message belongs to the run of the one before it when both are text messages of
one sender, at most ``RUN_GAP`` apart, with no "New messages" line between them; a run shows the sender's name on
its first message and the time on its last, as WhatsApp and Telegram do. In a direct chat my side shows no name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from chatapp.clock import as_utc
from chatapp.schemas import MessageData
from pages.chat.bubble import Look
from pages.timezone import stamp

RUN_GAP = timedelta(minutes=5)
MAX_STAMPS = 1000
"""Times remembered at most (a view shows at most 200 messages; history read and dropped again adds more)."""


@dataclass(frozen=True)
class ReceiptLine:
    """The one receipt a view shows: under message ``seq``, saying ``text``; ``names`` opens who read it."""

    seq: int
    text: str
    names: bool = False


class Painter:
    """Turns messages into ``Look``s for one viewer."""

    def __init__(self, *, me: int, direct: bool, zone: tzinfo, name_of: Callable[[int], str],
                 describe: Callable[[MessageData], str]) -> None:
        self.me = me
        self.direct = direct
        self.zone = zone
        self._name_of = name_of
        self._describe = describe
        self.divider_seq: int | None = None
        """The first unread message when the view opened: the "New messages" line goes before it."""
        self.receipt: ReceiptLine | None = None
        self._stamps: dict[int, str] = {}
        """Each message's time as shown, by message id: a block is drawn again for every message that joins it."""
        self._stamps_day: object = None

    def continues(self, earlier: MessageData | None, later: MessageData | None) -> bool:
        """Whether ``later`` belongs to the run of ``earlier``."""
        if earlier is None or later is None or earlier.kind != 'text' or later.kind != 'text':
            return False
        if earlier.sender_id != later.sender_id or later.seq == self.divider_seq:
            return False
        return timedelta(0) <= as_utc(later.created_at) - as_utc(earlier.created_at) <= RUN_GAP

    def looks(self, messages: Sequence[MessageData], *, before: MessageData | None = None,
              after: MessageData | None = None) -> list[Look]:
        """``messages`` in a row; ``before``/``after`` are the messages shown just before and after them."""
        day = datetime.now(self.zone).date()
        if day != self._stamps_day or len(self._stamps) > MAX_STAMPS:  # "14:05" becomes "3 Mar 14:05" at midnight
            self._stamps, self._stamps_day = {}, day
        looks = []
        for index, message in enumerate(messages):
            previous = messages[index - 1] if index else before
            following = messages[index + 1] if index + 1 < len(messages) else after
            looks.append(self.look(message, previous, following))
        return looks

    def look(self, message: MessageData, previous: MessageData | None, following: MessageData | None) -> Look:
        mine = message.sender_id == self.me
        receipt = self.receipt if self.receipt is not None and self.receipt.seq == message.seq else None
        common = {'divider': message.seq == self.divider_seq, 'receipt': receipt.text if receipt else None,
                  'receipt_names': bool(receipt and receipt.names)}
        if message.kind == 'event':
            return Look(self._describe(message), mine, event=True, **common)  # type: ignore[arg-type]
        name = None
        if not self.continues(previous, message) and not (mine and self.direct):
            name = 'You' if mine else self._name_of(message.sender_id)
        time = None
        if not self.continues(message, following):
            time = self._stamps.get(message.id)
            if time is None:
                time = self._stamps[message.id] = stamp(message.created_at, self.zone)
        return Look(message.body, mine, name=name, stamp=time, **common)  # type: ignore[arg-type]
