"""Which picture or file a message carries: claimed by the send that carries it, read back with the messages.

Apart from ``chatapp.services.attachments`` (uploads, quotas, downloads) because the message services need these two
statements and ``attachments`` needs the access rule of ``conversations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, update
from sqlalchemy import select as core_select

from chatapp.errors import Invalid
from chatapp.schemas import AttachmentInfo
from chatapp.services.tables import core_table
from models import Attachment

BAD_ATTACHMENT_CODE = 'bad_attachment'

_attachments = core_table(Attachment)
_a = _attachments.c
INFO = (_a.id, _a.kind, _a.mime, _a.filename, _a.size, _a.width, _a.height)
"""The columns of an ``AttachmentInfo``."""
_CLAIM = (update(_attachments)
          .where(and_(_a.id == bindparam('b_id'), _a.owner_id == bindparam('b_owner'),
                      _a.conversation_id == bindparam('b_conversation'), _a.message_id.is_(None)))
          .values(message_id=bindparam('b_message'))
          .returning(*INFO))
_OF_MESSAGES = core_select(_a.message_id, *INFO).where(_a.message_id.in_(bindparam('ids', expanding=True)))


def claim(connection: Connection, *, actor_id: int, conversation_id: int, attachment_id: int,
          message_id: int) -> AttachmentInfo:
    """Let message ``message_id`` (just written by the actor in the conversation, same transaction) carry the
    upload ``attachment_id``. It must be the actor's, uploaded into this conversation, and not carried by another
    message; else ``Invalid`` with code ``bad_attachment``. One statement, so two sends cannot both claim it."""
    row = connection.execute(_CLAIM, {'b_id': attachment_id, 'b_owner': actor_id, 'b_conversation': conversation_id,
                                      'b_message': message_id}).first()
    if row is None:
        raise Invalid('This file cannot be sent: upload it again.', code=BAD_ATTACHMENT_CODE)
    return info_of(row)


def attachments_of(connection: Connection, message_ids: Sequence[int]) -> dict[int, AttachmentInfo]:
    """The attachment each of ``message_ids`` carries (messages without one are left out). The caller has checked
    that the reader may see these messages."""
    if not message_ids:
        return {}
    found: dict[int, AttachmentInfo] = {}
    for row in connection.execute(_OF_MESSAGES, {'ids': list(message_ids)}):
        found.setdefault(row.message_id, info_of(row))
    return found


def info_of(row: Any) -> AttachmentInfo:
    """An ``AttachmentInfo`` from a row that has the columns of ``INFO``."""
    return AttachmentInfo(id=row.id, kind=row.kind, mime=row.mime, filename=row.filename, size=row.size,
                          width=row.width, height=row.height)
