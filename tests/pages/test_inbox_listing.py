"""The inbox's pure state: order, duplicates, reads and events that cross, typing that fades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatapp.schemas import InboxPage, InboxRow, MessageData, UserPublic
from pages.inbox.listing import PREVIEW_MAX, TYPING_FADE, Listing, Took

ME, BOB, CAROL = 1, 2, 3
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def message(conversation_id: int, seq: int, sender: int, body: str = 'hi', *, minute: int = 0) -> MessageData:
    return MessageData(id=conversation_id * 1000 + seq, conversation_id=conversation_id, seq=seq, sender_id=sender,
                       body=body, created_at=T0 + timedelta(minutes=minute))


def row(conversation_id: int, last: MessageData | None, *, read_seq: int = 0, group: bool = False,
        sender_label: str | None = None) -> InboxRow:
    peer = None if group else UserPublic(id=BOB, username='bob', display_name='Bob')
    return InboxRow(conversation_id=conversation_id, kind='group' if group else 'direct',
                    title='Team' if group else 'Bob', path=f'/x/{conversation_id}', peer=peer, last_message=last,
                    sender_label=sender_label, last_activity_at=last.created_at if last else T0,
                    last_seq=last.seq if last else 0, read_seq=read_seq, muted=False)


def listing_of(*rows: InboxRow) -> Listing:
    listing = Listing(me=ME)
    listing.replace(InboxPage(rows=list(rows), has_more=False, unread_total=0), None)
    return listing


def test_a_message_moves_its_row_to_the_top_once() -> None:
    listing = listing_of(row(10, message(10, 1, BOB, minute=1)), row(20, message(20, 1, BOB, minute=2), group=True))
    assert [r.conversation_id for r in listing.ordered()] == [20, 10]
    newer = message(10, 2, BOB, 'again', minute=3)
    assert listing.take(newer) is Took.CHANGED
    assert listing.take(newer) is Took.SAME  # heard twice
    assert [r.conversation_id for r in listing.ordered()] == [10, 20]
    assert listing.rows[10].unread == 2 and listing.rows[10].sender_label == 'Bob'


def test_my_message_reads_the_conversation_and_an_unknown_group_sender_asks_for_a_read() -> None:
    listing = listing_of(row(10, message(10, 3, BOB), read_seq=1), row(20, message(20, 1, BOB), group=True))
    assert listing.take(message(10, 4, ME)) is Took.CHANGED
    assert listing.rows[10].unread == 0 and listing.rows[10].sender_label == 'You'
    assert listing.take(message(20, 2, CAROL)) is Took.UNKNOWN  # whose name is it?
    assert listing.take(message(99, 1, BOB)) is Took.UNKNOWN  # a conversation not listed


def test_a_read_that_an_event_overtook_keeps_the_newer_state() -> None:
    listing = listing_of(row(10, message(10, 1, BOB)))
    listing.take(message(10, 2, BOB, 'newest', minute=5))
    listing.read_to(10, 2)
    listing.put(row(10, message(10, 1, BOB), read_seq=1))  # a read that started before both
    kept = listing.rows[10]
    assert kept.text == 'newest'
    assert kept.read_seq == 2 and kept.unread == 0
    assert not listing.read_to(10, 1)  # never backwards


def test_long_texts_are_kept_as_one_short_line() -> None:
    listing = listing_of(row(10, message(10, 1, BOB, 'x' * 4000 + '\nmore')))
    text = listing.rows[10].text
    assert text is not None and len(text) == PREVIEW_MAX


def test_typing_fades_and_ends_with_the_typists_message() -> None:
    listing = listing_of(row(10, message(10, 1, BOB)), row(20, message(20, 1, BOB), group=True))
    listing.start_typing(20, BOB, 'Bob', now=0.0)
    listing.start_typing(20, CAROL, 'Carol', now=1.0)
    assert listing.typists(20) == ['Bob', 'Carol']
    assert listing.next_fade() == TYPING_FADE
    assert listing.fade(TYPING_FADE) and listing.typists(20) == ['Carol']
    listing.take(message(20, 2, CAROL))
    assert listing.typists(20) == [] and listing.next_fade() is None
