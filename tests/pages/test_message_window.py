"""The pure parts of a chat view alone: the window (sequence numbers, gaps, bounds, history, the first unread page),
how messages look, receipts and the typing line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from chatapp.schemas import MessageData, Receipt
from pages.chat.bubble import Shown
from pages.chat.painter import Painter, ReceiptLine
from pages.chat.receipts import Receipts
from pages.chat.typing import Typists
from pages.chat.window import MessageWindow, Taken


def message(seq: int, body: str = '') -> MessageData:
    return MessageData(id=seq, conversation_id=1, seq=seq, sender_id=1, body=body or f'm{seq}',
                       created_at=datetime(2026, 1, 1, tzinfo=UTC))


def messages(first: int, last: int) -> list[MessageData]:
    return [message(seq) for seq in range(first, last + 1)]


class Page:
    """A renderer that keeps blocks as lists of sequence numbers, in page order."""

    def __init__(self) -> None:
        self.blocks: list[list[int]] = []

    def new_block(self, shown: Sequence[MessageData], *, at_start: bool) -> list[int]:
        block = [m.seq for m in shown]
        self.blocks.insert(0, block) if at_start else self.blocks.append(block)
        return block

    def extend(self, block: list[int], shown: MessageData) -> None:
        block.append(shown.seq)

    def remove(self, block: list[int]) -> None:
        self.blocks.remove(block)

    @property
    def seqs(self) -> list[int]:
        return [seq for block in self.blocks for seq in block]


@pytest.fixture
def page() -> Page:
    return Page()


def window(page: Page, **bounds: int) -> MessageWindow[list[int]]:
    return MessageWindow(page, **{'max_shown': 20, 'block_messages': 3, 'block_chars': 1000, **bounds})


def test_each_message_is_shown_once_and_in_order(page: Page) -> None:
    shown = window(page)
    shown.reset(messages(1, 5))
    assert shown.receive(message(6)) is Taken.SHOWN
    assert shown.receive(message(6)) is Taken.DUPLICATE
    assert shown.receive(message(3)) is Taken.DUPLICATE
    assert shown.receive(message(8)) is Taken.GAP  # 7 is missing: nothing shown until the gap is filled
    assert page.seqs == [1, 2, 3, 4, 5, 6]
    for seq in (7, 8):
        assert shown.receive(message(seq)) is Taken.SHOWN
    assert page.seqs == list(range(1, 9)) and shown.last_seq == 8


def test_live_messages_share_blocks_up_to_the_bounds(page: Page) -> None:
    shown = window(page, block_messages=3, block_chars=5)
    shown.reset([])
    for seq in range(1, 8):
        shown.receive(message(seq))
    assert page.blocks == [[1, 2, 3], [4, 5, 6], [7]]
    shown.receive(message(8, 'x' * 10))  # joins [7]; the block is then over its characters
    shown.receive(message(9))
    assert page.blocks[-2:] == [[7, 8], [9]]


def test_the_window_is_bounded_and_the_oldest_blocks_leave(page: Page) -> None:
    shown = window(page, max_shown=6, block_messages=2)
    shown.reset(messages(1, 4))
    for seq in range(5, 10):
        shown.receive(message(seq))
    assert shown.count <= 6 and page.seqs[-1] == 9 and page.seqs == list(range(page.seqs[0], 10))
    assert shown.has_earlier


def test_paging_back_past_the_bound_leaves_the_live_edge_and_counts_what_arrives(page: Page) -> None:
    shown = window(page, max_shown=6)
    shown.reset(messages(7, 10))
    shown.prepend(messages(4, 6))
    assert page.seqs == list(range(4, 7))  # the newest block made room
    assert not shown.live
    assert shown.receive(message(11)) is Taken.COUNTED
    assert shown.unseen == 1 and page.seqs == [4, 5, 6]
    shown.reset(messages(8, 11))
    assert shown.live and shown.unseen == 0 and page.seqs == list(range(8, 12))


def test_a_page_that_does_not_join_the_window_is_ignored(page: Page) -> None:
    shown = window(page)
    shown.reset(messages(10, 12))
    shown.prepend(messages(9, 9))
    shown.prepend(messages(9, 9))  # read twice (a double click): the second no longer fits before the window
    assert page.seqs == [9, 10, 11, 12]
    shown.prepend(messages(3, 5))
    assert page.seqs == [9, 10, 11, 12]


def test_after_a_long_absence_it_says_how_many_new_messages_lie_above(page: Page) -> None:
    shown = window(page, max_shown=6)
    shown.reset(messages(1, 3))
    shown.reset(messages(31, 34), skipped_from=4)  # 4 .. 30 arrived while away; the newest page is shown
    assert shown.skipped == 27
    shown.prepend(messages(28, 30))
    assert shown.skipped == 24
    assert page.seqs == [28, 29, 30]
    assert not shown.live
    shown.reset(messages(31, 34), skipped_from=30)
    shown.prepend(messages(29, 30))
    assert shown.skipped == 0


def test_a_view_can_start_at_the_first_unread_page_and_read_on_to_the_newest(page: Page) -> None:
    shown = window(page, max_shown=6, floor=2)
    shown.show_from(messages(10, 12), last_seq=16)  # 10 .. 12 unread first, 13 .. 16 newer still
    assert not shown.live and shown.unseen == 4 and shown.shown_last == 12
    assert shown.receive(message(17)) is Taken.COUNTED
    shown.append_later(messages(14, 15))  # not the page after ours: ignored
    assert page.seqs == [10, 11, 12]
    shown.append_later(messages(13, 15))
    assert page.seqs == [10, 11, 12, 13, 14, 15] and not shown.live and shown.unseen == 2
    shown.append_later(messages(16, 17))
    assert shown.live and shown.unseen == 0 and page.seqs == [13, 14, 15, 16, 17]  # the oldest made room
    assert shown.receive(message(18)) is Taken.SHOWN


def test_nothing_lies_before_the_join_boundary(page: Page) -> None:
    shown = window(page, floor=5)
    shown.reset(messages(6, 8))
    assert not shown.has_earlier
    shown.reset([])
    assert shown.last_seq == 5 and shown.receive(message(6)) is Taken.SHOWN


# --- how messages look (pages.chat.painter), who read them (pages.chat.receipts), who types (pages.chat.typing) ----

def said(seq: int, sender: int, minute: int = 0, kind: str = 'text') -> Shown:
    return Shown.of(MessageData(id=seq, conversation_id=1, seq=seq, sender_id=sender, body=f'm{seq}', kind=kind,
                                created_at=TODAY.replace(hour=12, minute=minute)))


TODAY = datetime.now(UTC).replace(second=0, microsecond=0)
"""Times of today show without a date."""


def painter(*, direct: bool = False) -> Painter:
    return Painter(me=1, direct=direct, zone=UTC, name_of=lambda user_id: {1: 'You', 2: 'bob', 3: 'carol'}[user_id],
                   describe=lambda message: f'event {message.seq}')


def test_a_run_of_one_sender_shows_the_name_first_and_the_time_last() -> None:
    run = [said(1, 2), said(2, 2, 1), said(3, 2, 2), said(4, 3, 2), said(5, 3, 20), said(6, 1, 20)]
    looks = painter().looks(run)
    assert [(look.name, look.stamp) for look in looks] == [
        ('bob', None), (None, None), (None, '12:02 UTC'), ('carol', '12:02 UTC'),  # a new sender starts a run
        ('carol', '12:20 UTC'), ('You', '12:20 UTC')]  # 18 minutes apart: a new run


def test_runs_continue_across_blocks_and_stop_at_events_and_the_new_messages_line() -> None:
    shown = painter()
    (first,) = shown.looks([said(5, 2, 1)], before=said(4, 2), after=said(6, 2, 1))
    assert first.name is None and first.stamp is None
    shown.divider_seq = 6
    (before_line, after_line) = shown.looks([said(5, 2), said(6, 2)])
    assert before_line.stamp and after_line.name == 'bob' and after_line.divider
    (event,) = shown.looks([said(7, 2, kind='event')], before=said(6, 2))
    assert event.event and event.text == 'event 7' and event.name is None


def test_in_a_direct_chat_my_side_has_no_name() -> None:
    looks = painter(direct=True).looks([said(1, 1), said(2, 2)])
    assert [look.name for look in looks] == [None, 'bob']


def test_an_at_sign_is_only_marked_where_members_are_named() -> None:
    """A group highlights ``@member``; a direct chat has no names to mark, so a text with "@" looks as any other."""
    with_at = Shown.of(MessageData(id=1, conversation_id=1, seq=1, sender_id=2, created_at=TODAY.replace(hour=12),
                                   body='mail me at bob@example.com or @bob'))
    direct = painter(direct=True)
    (look,) = direct.looks([with_at])
    assert look.mentionable == frozenset() and look.text == with_at.body and look.actions
    group = painter()
    group.usernames = frozenset({'bob'})
    (look,) = group.looks([with_at])
    assert look.mentionable == frozenset({'bob'})


def test_the_receipt_sits_under_my_newest_message_someone_read() -> None:
    read_at = TODAY.replace(hour=14, minute=2)
    direct = Receipts([Receipt(user_id=2, read_seq=3, read_at=read_at)], direct=True, zone=UTC)
    assert direct.line([1, 4]) == ReceiptLine(1, 'Seen 14:02 UTC')
    assert not direct.read(2, 2, None)  # never backwards
    assert direct.read(2, 4, read_at)
    assert direct.line([1, 4]) == ReceiptLine(4, 'Seen 14:02 UTC')
    assert not direct.read(9, 9, None)  # not someone who shares receipts with me
    group = Receipts([Receipt(user_id=2, read_seq=5, read_at=None), Receipt(user_id=3, read_seq=2, read_at=None)],
                     direct=False, zone=UTC)
    assert group.line([2, 5, 6]) == ReceiptLine(5, 'Seen by 1', names=True)
    group.read(3, 6, None)
    assert group.line([2, 5, 6]) == ReceiptLine(6, 'Seen by 1', names=True)
    assert group.names_of(5, {2: 'bob', 3: 'carol'}.__getitem__) == ['bob', 'carol']
    assert Receipts([], direct=True, zone=UTC).line([1]) is None  # I do not share receipts: none shown


def test_the_typing_line_names_one_or_two_and_counts_more() -> None:
    typists = Typists()
    assert typists.text() == ''
    assert typists.start(2, 'bob') and not typists.start(2, 'bob')
    assert typists.text() == 'bob is typing…'
    typists.start(3, 'carol')
    assert typists.text() == 'bob and carol are typing…'
    typists.start(4, 'dave')
    assert typists.text() == '3 people are typing…'
    assert typists.stop(2) and not typists.stop(2)
    assert typists.text() == 'carol and dave are typing…'
