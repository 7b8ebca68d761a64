"""Blocks draw again only from the first message whose look may have changed (``MessageList``, ``Block.show``):
whatever happens to a conversation, what each block shows must be exactly what painting it whole would show."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from chatapp.schemas import MessageData
from pages.chat.bubble import _html
from pages.chat.messages import MessageList
from pages.chat.painter import Painter, ReceiptLine
from pages.chat.window import MessageWindow

START = datetime(2026, 1, 1, 9, tzinfo=UTC)


def conversation(count: int, seed: int) -> list[MessageData]:
    """Runs of two senders, some messages close together (one run), some far apart (a new run), a few events."""
    rng = random.Random(seed)
    moment, messages = START, []
    for seq in range(1, count + 1):
        moment += timedelta(seconds=rng.choice([5, 5, 5, 900]))
        kind = 'event' if rng.random() < 0.05 else 'text'
        messages.append(MessageData(id=seq, conversation_id=1, seq=seq, sender_id=rng.choice([1, 1, 2]),
                                    body='{"event": "renamed", "actor_id": 1, "name": "x"}' if kind == 'event'
                                    else f'message {seq}', kind=kind, created_at=moment))
    return messages


def painted_whole(listing: MessageList) -> list[str]:
    blocks = listing.blocks()
    shown = []
    for index, block in enumerate(blocks):
        before = blocks[index - 1].messages[-1] if index else None
        after = blocks[index + 1].messages[0] if index + 1 < len(blocks) else None
        shown.append(''.join(_html(look) for look in listing.painter.looks(block.messages, before=before,
                                                                            after=after)))
    return shown


async def test_a_block_drawn_in_parts_shows_what_drawing_it_whole_shows(user: User) -> None:
    checked: list[int] = []

    @ui.page('/blocks')
    def page() -> None:
        for seed in range(12):
            rng = random.Random(seed)
            history = conversation(160, seed)
            painter = Painter(me=1, direct=seed % 2 == 0, zone=UTC, name_of=lambda user_id: f'user {user_id}',
                              describe=lambda message: 'an event')
            painter.divider_seq = rng.choice([None, 70, 75])
            listing = MessageList(painter, on_action=lambda act, seq, emoji: None)
            window = MessageWindow(listing, max_shown=40, block_messages=4, block_chars=200)
            window.reset(history[60:80])
            listing.flush()
            later = 80
            for _ in range(80):
                step = rng.random()
                if step < 0.6 and later < len(history):
                    window.receive(history[later])
                    later += 1
                elif step < 0.7 and (first := window.first_seq) is not None and first > 1:
                    window.prepend(history[max(0, first - 1 - rng.choice([3, 8])):first - 1])
                elif step < 0.8:
                    seq = rng.randint(60, later)
                    listing.set_receipt(ReceiptLine(seq, rng.choice(['Seen', 'Seen by 2']), names=seq % 2 == 0))
                    continue
                elif step < 0.9 and (found := listing.find(rng.randint(60, later))) is not None:
                    edited = history[found.seq - 1].model_copy(update={'body': f'edited {found.seq}',
                                                                        'change_seq': rng.randint(1, 1000)})
                    listing.replace(edited)
                    continue
                else:
                    listing.set_target(rng.choice([None, rng.randint(60, later)]))
                    continue
                listing.flush()
                assert [block.content for block in listing.blocks()] == painted_whole(listing), f'seed {seed}'
            checked.append(seed)
        ui.label('drawn')

    await user.open('/blocks')
    await user.should_see('drawn')
    assert checked == list(range(12))
