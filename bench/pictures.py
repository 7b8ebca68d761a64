"""Scenario n (issue 10's "m"): what an open chat page costs with 20 pictures in view and reactions on every message.

The pages of scenario j's memory part (an inbox pane of 50 rows beside a chat of 50 messages), where 20 of the 50
messages carry a picture and every message has two reactions (one from each person). Server RSS growth per page, as
scenario j measures it. The pictures' bytes are not fetched: the server holds a page's links, never the pictures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlmodel import col

from bench.inbox import page_memory
from bench.setup import Services
from chatapp.clock import utcnow
from chatapp.services.tx import ServiceRunner
from models import Attachment, Conversation, Message, Reaction

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

PICTURES = 20
PICTURE = 'picture'


async def scenario_n(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    row = await page_memory(services, scale, 'n-pictures', decorate=_pictures_and_reactions,
                            shown=lambda page: page.count(PICTURE) >= PICTURES)
    return {**row, 'pictures_per_page': PICTURES, 'reactions_per_message': 2}


def _pictures_and_reactions(runner: ServiceRunner, conversation_id: int) -> None:
    """Every other one of the newest 40 messages carries a picture; both people react to every message. Written
    straight into the tables, as ``seed.make_history`` writes the messages."""
    now = utcnow()
    with runner.engine.begin() as connection:
        rows = connection.execute(select(Message.id, Message.seq, Message.sender_id)  # type: ignore[call-overload]
                                  .where(col(Message.conversation_id) == conversation_id)
                                  .order_by(col(Message.seq))).all()
        senders = sorted({row.sender_id for row in rows})
        pictured = [row for row in rows[-2 * PICTURES:]][::2]
        connection.execute(Attachment.__table__.insert(), [  # type: ignore[attr-defined]
            {'owner_id': row.sender_id, 'conversation_id': conversation_id, 'message_id': row.id,
             'sha256': f'{row.id:064x}', 'kind': 'image', 'mime': 'image/jpeg', 'filename': f'photo-{row.seq}.jpg',
             'size': 180_000, 'width': 1600, 'height': 1200, 'created_at': now} for row in pictured])
        connection.execute(Reaction.__table__.insert(), [  # type: ignore[attr-defined]
            {'message_id': row.id, 'user_id': user_id, 'emoji': emoji, 'created_at': now}
            for row in rows for user_id, emoji in zip(senders, ('👍', '❤️'), strict=False)])
        for row in rows:
            connection.execute(update(Message).where(col(Message.id) == row.id).values(change_seq=row.seq))
        connection.execute(update(Conversation).where(col(Conversation.id) == conversation_id)
                           .values(change_seq=len(rows)))
