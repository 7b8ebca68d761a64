"""Pictures and files sent in conversations: recording an upload, who may fetch one, the message that carries it, and
removing what nobody may see any more. The bytes live in the file store (``chatapp.files``); these rows say whose they
are and where they were sent.

The rules:

- Only someone who may use the conversation (``conversations.require_access``) uploads into it, and only within
  their quota (``settings.quota_mb``: the sizes of all their attachments together).
- An upload is the uploader's alone until a message of theirs in that conversation carries it (``claim``, called
  by ``send_message`` in its transaction); each upload is carried by at most one message.
- A member may fetch an attachment while they may use the conversation, when its message is after their join point
  and not deleted; an upload not yet sent only its uploader may fetch. Anything else is ``NotFound``, the same for
  an attachment that does not exist, so nobody can probe for ids.
- What goes: uploads never sent after ``UNSENT_DAYS``, the attachments of deleted messages, and every attachment of a
  deleted account (``forget_account``). The blobs go when no row names them (``chatapp.files.janitor``).

No events: the message that carries an attachment is the event. ``claim`` and ``attachments_of`` (the message
services' side) live in ``chatapp.services.attached`` and are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_
from sqlalchemy import select as core_select

from chatapp.clock import utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.files.names import clean_filename
from chatapp.schemas import AttachmentInfo
from chatapp.security.limits import limited
from chatapp.services.attached import BAD_ATTACHMENT_CODE, attachments_of, claim
from chatapp.services.conversations import require_access
from chatapp.services.tables import core_table
from chatapp.services.tx import Tx, reads_only
from models import Attachment, Message, User

KINDS = ('image', 'file')
MIMES = {'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf', 'application/octet-stream'}
"""Every type ``chatapp.files.sniff`` can find: nothing else is ever recorded."""
UNSENT_DAYS = 1
"""An upload that no message carries is removed after this long."""
NOT_FOUND = 'This file is not available.'
QUOTA_CODE = 'quota'
MIB = 1 << 20
_SHA256 = re.compile(r'[0-9a-f]{64}')

_attachments = core_table(Attachment)
_messages = core_table(Message)
_users = core_table(User)
_a = _attachments.c
_INFO = (_a.id, _a.kind, _a.mime, _a.filename, _a.size, _a.width, _a.height)
_USED = core_select(func.coalesce(func.sum(_a.size), 0)).where(_a.owner_id == bindparam('owner'))
_LOCK_ACCOUNT = core_select(_users.c.id).where(_users.c.id == bindparam('owner')).with_for_update()
_FOR_VIEWER = (core_select(_a.owner_id, _a.conversation_id, _a.message_id, _a.sha256, *_INFO, _messages.c.seq,
                           _messages.c.deleted_at, _messages.c.conversation_id.label('message_conversation_id'))
               .select_from(_attachments.outerjoin(_messages, _messages.c.id == _a.message_id))
               .where(_a.id == bindparam('id')))


__all__ = ['BAD_ATTACHMENT_CODE', 'Stored', 'attachment_for_viewer', 'attachments_of', 'claim', 'forget_account',
           'hashes_in_use', 'record_upload', 'remove_stale', 'upload_allowance']


@dataclass(frozen=True)
class Stored:
    """An attachment someone may fetch: what pages show, and the name of its bytes in the store."""

    info: AttachmentInfo
    sha256: str


@reads_only
@limited('uploads')
def upload_allowance(tx: Tx, *, actor_id: int, conversation_id: int) -> int:
    """Bytes the actor may still upload into the conversation: what is left of their quota (``Invalid`` with code
    ``quota`` when nothing is), or ``NotFound`` when they may not use it. Asked before an upload's bytes are read, so
    a refused upload costs no disk; ``record_upload`` checks both again."""
    connection = tx.session.connection()
    require_access(connection, actor_id, conversation_id)
    left = _quota(tx) - connection.execute(_USED, {'owner': actor_id}).scalar_one()
    if left <= 0:
        raise Invalid(quota_message(tx), code=QUOTA_CODE)
    return int(left)


def record_upload(tx: Tx, *, actor_id: int, conversation_id: int, sha256: str, kind: str, mime: str, filename: str,
                  size: int, width: int | None = None, height: int | None = None) -> AttachmentInfo:
    """Record an upload whose bytes are stored as ``sha256``: the actor's, not yet sent. ``NotFound`` when the actor
    may not use the conversation; ``Invalid`` (code ``quota``) when it would pass their quota.

    The account's row is locked first (PostgreSQL; SQLite's transactions are taken in turn), so two uploads of one
    account at once cannot both fit into the space that only one of them fits."""
    if kind not in KINDS or mime not in MIMES or not _SHA256.fullmatch(sha256) or size < 0:
        raise ValueError('not an upload that chatapp.files made')
    if kind == 'image' and (not mime.startswith('image/') or not width or not height):
        raise ValueError('a picture needs its type and size')
    connection = tx.session.connection()
    connection.execute(_LOCK_ACCOUNT, {'owner': actor_id})
    require_access(connection, actor_id, conversation_id)
    used = connection.execute(_USED, {'owner': actor_id}).scalar_one()
    if used + size > _quota(tx):
        raise Invalid(quota_message(tx), code=QUOTA_CODE)
    row = Attachment(owner_id=actor_id, conversation_id=conversation_id, sha256=sha256, kind=kind, mime=mime,
                     filename=clean_filename(filename), size=size, width=width, height=height)
    tx.session.add(row)
    tx.session.flush()
    return AttachmentInfo.model_validate(row)


@reads_only
def attachment_for_viewer(tx: Tx, *, actor_id: int, attachment_id: int) -> Stored:
    """The attachment as the actor may fetch it now (see the rules above), or ``NotFound``. Called for every
    download: a link made an hour ago does not outlive the viewer's place in the conversation."""
    row = tx.session.connection().execute(_FOR_VIEWER, {'id': attachment_id}).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    try:
        access = require_access(tx.session.connection(), actor_id, row.conversation_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    if row.message_id is None:
        visible = row.owner_id == actor_id
    else:
        visible = (row.message_conversation_id == row.conversation_id and row.seq > access.joined_seq
                   and row.deleted_at is None)
    if not visible:
        raise NotFound(NOT_FOUND)
    return Stored(info=_info(row), sha256=row.sha256)


def forget_account(tx: Tx, actor_id: int) -> int:
    """Remove every attachment of the account (``deletion.delete_account`` calls it): their messages stay, without
    them. The blobs go with the janitor's next round when no other row names them. Returns how many went."""
    return _count(tx.session.connection().execute(delete(_attachments).where(_a.owner_id == actor_id)))


def remove_stale(tx: Tx, *, now: datetime | None = None) -> int:
    """Remove uploads no message carried within ``UNSENT_DAYS`` and the attachments of deleted messages (the
    janitor calls it; it acts for nobody). Returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=UNSENT_DAYS)
    deleted_messages = core_select(_messages.c.id).where(_messages.c.deleted_at.is_not(None))
    statement = delete(_attachments).where(or_(
        and_(_a.message_id.is_(None), _a.created_at < cutoff),
        _a.message_id.in_(deleted_messages)))
    return _count(tx.session.connection().execute(statement))


def hashes_in_use(tx: Tx, *, hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` some attachment names (the janitor keeps their blobs)."""
    wanted = sorted(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        rows = tx.session.connection().execute(
            core_select(_a.sha256).distinct().where(_a.sha256.in_(wanted[start:start + 500])))
        found.update(rows.scalars())
    return found


def quota_message(tx: Tx) -> str:
    """What an uploader reads when their files would take more than their quota."""
    return f'This does not fit: all your files and pictures together may take {tx.deps.settings.quota_mb:,} MB.'


def _quota(tx: Tx) -> int:
    return tx.deps.settings.quota_mb * MIB


def _info(row: object) -> AttachmentInfo:
    return AttachmentInfo.model_validate(row)


def _count(result: object) -> int:
    return int(getattr(result, 'rowcount', 0) or 0)
