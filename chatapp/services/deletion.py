"""Deleting an account: the person goes, their messages stay under "Deleted account".

The ``User`` row stays, anonymised, so that the messages it wrote keep a sender: ``deleted_at`` is set, the display
name becomes "Deleted account", the username is freed by renaming it to one that no sign-up can take and no lookup
finds, the password hash becomes one that matches no password, the "about" line, profile picture, last seen time and
privacy choices are cleared, and the session epoch moves on (every browser is signed out). Friendships, pending
requests and blocks (either way) are removed; the person leaves every group under the group rules
(``services.groups.leave_group``: the last admin leaving makes the longest-standing member admin, the last member
leaving deletes the group). Messages and direct conversations stay, but the files and pictures the person sent go
(``attachments.forget_account``: the rows now, the bytes with the file janitor's next round). docs/security.md says
the same for people.

Events: ``FriendshipChanged(status='removed')`` to both people of each friendship or request, the group events of
each departure, and ``SessionsEnded`` to the account itself.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlmodel import col, select

from chatapp.clock import utcnow
from chatapp.events import FriendshipChanged
from chatapp.security.hashing import hashes_passwords
from chatapp.services import attachments, groups
from chatapp.services.sessions import bump_epoch, verify_own_password
from chatapp.services.tx import Tx
from chatapp.services.users import require_user
from models import Blocking, Conversation, ConversationKind, ConversationMember, Friendship

DELETED_NAME = 'Deleted account'
UNUSABLE_HASH = '!deleted'
"""Not a hash of any scheme: nothing verifies against it (and ``accounts.authenticate`` never reads a deleted row)."""


def deleted_username(user_id: int) -> str:
    """The username a deleted account gets: '~' is outside the sign-up alphabet, so nobody can take it, and the id
    makes it unique while freeing the old name for a new sign-up."""
    return f'~deleted-{user_id}'


@hashes_passwords
def delete_account(tx: Tx, *, actor_id: int, password: str, client_key: str) -> None:
    """Delete the actor's account after checking their password (``Invalid`` with ``code='wrong_password'``,
    throttled as logins are); see the module docstring for what is kept and what goes.

    The password check commits its attempt (so a failure counts even though we raise), so the rest is one more
    transaction that the runner does not retry: a rare lost race is refused with a generic error instead."""
    verify_own_password(tx, actor_id=actor_id, password=password, client_key=client_key)
    user = require_user(tx.session, actor_id)
    user.deleted_at = utcnow()
    user.username = deleted_username(actor_id)
    user.display_name = DELETED_NAME
    user.password_hash = UNUSABLE_HASH
    user.about = ''
    user.avatar = None  # its files go with the avatar store's next sweep (``chatapp.files.avatar_parts``)
    user.last_seen_at = None
    user.show_presence = False
    user.read_receipts = False
    tx.session.add(user)
    tx.session.flush()  # the group events below name the actor as they are now: "Deleted account left"
    _end_friendships(tx, actor_id)
    tx.session.exec(delete(Blocking).where(
        or_(col(Blocking.blocker_id) == actor_id, col(Blocking.blocked_id) == actor_id)))
    for conversation_id in _groups_of(tx, actor_id):
        groups.leave_group(tx, actor_id=actor_id, conversation_id=conversation_id)
    attachments.forget_account(tx, actor_id)
    bump_epoch(tx, actor_id)


def _end_friendships(tx: Tx, actor_id: int) -> None:
    rows = tx.session.exec(select(Friendship).where(
        or_(col(Friendship.user_low_id) == actor_id, col(Friendship.user_high_id) == actor_id))).all()
    for row in rows:
        tx.session.delete(row)
        other = row.user_high_id if row.user_low_id == actor_id else row.user_low_id
        tx.emit(FriendshipChanged(recipients=(actor_id, other), user_ids=(actor_id, other), status='removed'))
    tx.session.flush()


def _groups_of(tx: Tx, actor_id: int) -> list[int]:
    """The actor's groups, in id order (the order the group rows are locked in)."""
    return list(tx.session.exec(
        select(ConversationMember.conversation_id)
        .join(Conversation, col(Conversation.id) == col(ConversationMember.conversation_id))
        .where(col(ConversationMember.user_id) == actor_id, col(Conversation.kind) == ConversationKind.GROUP)
        .order_by(col(ConversationMember.conversation_id))))
