"""Who has read how far, as one view may show it: a pure model, unit-tested without NiceGUI.

Only the members ``ChatInfo.receipts`` lists are followed (it lists exactly the other members who allow receipts, and
nobody when I do not), so a ``ReadMoved`` or a message from anyone else changes nothing: receipts are reciprocal. A
message from a member means they have read up to it. Positions never move backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo

from chatapp.schemas import Receipt
from pages.chat.painter import ReceiptLine
from pages.timezone import stamp


class Receipts:
    """Read positions of the other members who share receipts with me."""

    def __init__(self, receipts: Sequence[Receipt], *, direct: bool, zone: tzinfo) -> None:
        self.direct = direct
        self.zone = zone
        self._read: dict[int, tuple[int, datetime | None]] = {r.user_id: (r.read_seq, r.read_at) for r in receipts}

    def replace(self, receipts: Sequence[Receipt]) -> None:
        """A fresh read of the conversation (membership or privacy may have changed)."""
        old = self._read
        self._read = {}
        for receipt in receipts:
            seq, at = old.get(receipt.user_id, (0, None))
            self._read[receipt.user_id] = (receipt.read_seq, receipt.read_at) if receipt.read_seq >= seq else (seq, at)

    def read(self, user_id: int, seq: int, at: datetime | None) -> bool:
        """``user_id`` has read up to ``seq``; whether that moved anything."""
        known = self._read.get(user_id)
        if known is None or seq <= known[0]:
            return False
        self._read[user_id] = (seq, at)
        return True

    def readers_of(self, seq: int) -> list[int]:
        """Who has read message ``seq``."""
        return [user_id for user_id, (read_seq, _) in self._read.items() if read_seq >= seq]

    def line(self, my_seqs: Iterable[int]) -> ReceiptLine | None:
        """The receipt under my newest message (of ``my_seqs``, the ones shown) that someone has read."""
        if not self._read:
            return None
        furthest = max(read_seq for read_seq, _ in self._read.values())
        seq = max((s for s in my_seqs if s <= furthest), default=None)
        if seq is None:
            return None
        if self.direct:  # one other person
            at = next(iter(self._read.values()))[1]
            return ReceiptLine(seq, f'Seen {stamp(at, self.zone)}' if at else 'Seen')
        return ReceiptLine(seq, f'Seen by {len(self.readers_of(seq))}', names=True)

    def names_of(self, seq: int, name_of: Callable[[int], str]) -> list[str]:
        """The names of who has read ``seq``, sorted."""
        return sorted((name_of(user_id) for user_id in self.readers_of(seq)), key=str.casefold)
