"""The message window alone: sequence numbers, gaps, bounds, history and what it says after a long absence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from chatapp.schemas import MessageData
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
