"""Profiles: a person's display name and "about" line, and the profile card others may open.

Who may open whose card (nobody can probe arbitrary ids):

- by id (``profile_card``): the actor themselves, and people the actor is related to: friends, either side of a
  pending friend request, fellow members of a group, and people the actor has blocked (listed in their settings).
  Anyone else, an unknown id and a deleted account all get the same ``NotFound``.
- by exact username (``found_card``): anyone whose account exists, as people search finds them (search already
  shows name and username to every signed-in person). It counts against the search limit, so the "about" lines of
  strangers can be read no faster than they can be searched for.

A profile picture (``set_avatar``, ``remove_avatar``) is set by the avatar upload route, which asks
``avatar_allowance`` (rate limited) before it reads the upload and stores its files first; its hash travels in
``UserPublic.avatar`` wherever a person is shown.

Events: a change of display name or picture emits ``ProfileChanged`` to the person themselves (their other tabs
show their own name and picture in the page header), their friends and the members of their groups, found in one
query. Blocks are not applied: people who block each other still see each other's profile card and group messages,
so they may as well see the current name. Open pages draw the new name and picture from the event; a page that
missed it reads them at its next resync. The "about" line travels in no event (only the card shows it, read when
opened), and timeline events keep the name a person had then (``chatapp.timeline``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from chatapp.errors import Invalid, NotFound
from chatapp.events import ProfileChanged
from chatapp.schemas import Profile, Relation, UserPublic
from chatapp.security.limits import limited
from chatapp.services import friendships
from chatapp.services.accounts import clean_display_name, has_control_characters
from chatapp.services.blocking import has_blocked
from chatapp.services.presence import related_people
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import find_by_username, require_user
from models import Conversation, ConversationKind, ConversationMember, Friendship, User
from models.user import ABOUT_MAX

NOT_FOUND = 'That person does not exist.'
_SHA256 = re.compile(r'[0-9a-f]{64}')


@reads_only
def my_profile(tx: Tx, *, actor_id: int) -> Profile:
    """The actor's own card, as others see it (the settings page edits it)."""
    return _card(tx, actor_id, require_user(tx.session, actor_id))


def update_profile(tx: Tx, *, actor_id: int, display_name: str, about: str) -> Profile:
    """Store the actor's display name (empty: show the username) and "about" line; ``Invalid`` with a ``code``
    naming the field's problem (``name_*`` or ``about_*``) changes neither. A new name is announced with
    ``ProfileChanged``; a new "about" line alone is not."""
    shown = clean_display_name(display_name)
    line = clean_about(about)
    user = require_user(tx.session, actor_id)
    renamed = user.display_name != shown
    user.display_name, user.about = shown, line
    tx.session.add(user)
    tx.session.flush()
    if renamed:
        _announce(tx, user)
    return _card(tx, actor_id, user)


@reads_only
@limited('avatars')
def avatar_allowance(tx: Tx, *, actor_id: int) -> None:
    """Whether the actor may upload a profile picture now: ``NotFound`` for a deleted account, ``Throttled`` past
    the ``avatars`` rate limit. The avatar route asks before it reads a byte, so a refused upload costs no disk and
    no decoding; ``set_avatar`` checks the account again."""
    require_user(tx.session, actor_id)


def set_avatar(tx: Tx, *, actor_id: int, avatar: str) -> str | None:
    """Make ``avatar`` (the hash of a picture already stored by ``chatapp.files.avatar_parts``) the actor's profile
    picture; returns the one it replaces (``None``: there was none), whose files the caller may then discard.
    Announced with ``ProfileChanged`` unless it was the picture already shown."""
    if not _SHA256.fullmatch(avatar):
        raise ValueError('not an avatar that chatapp.files made')
    user = require_user(tx.session, actor_id)
    previous, user.avatar = user.avatar, avatar
    tx.session.add(user)
    tx.session.flush()
    if previous == avatar:
        return None
    _announce(tx, user)
    return previous


def remove_avatar(tx: Tx, *, actor_id: int) -> str | None:
    """Go back to initials; returns the picture removed (``None``: there was none, and nothing is announced)."""
    user = require_user(tx.session, actor_id)
    previous, user.avatar = user.avatar, None
    tx.session.add(user)
    tx.session.flush()
    if previous is not None:
        _announce(tx, user)
    return previous


@reads_only
def avatars_in_use(tx: Tx, *, hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` some account still shows, a deleted one never (its files may go). Acts for nobody: the
    avatar store asks before it removes files."""
    wanted = sorted(set(hashes))
    found: set[str | None] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        found.update(tx.session.exec(select(User.avatar).distinct().where(
            col(User.avatar).in_(wanted[start:start + 500]), col(User.deleted_at).is_(None))).all())
    return {avatar for avatar in found if avatar is not None}


@reads_only
def profile_card(tx: Tx, *, actor_id: int, user_id: int) -> Profile:
    """The card of ``user_id`` when the actor is related to them (see the module docstring), else ``NotFound``."""
    user = tx.session.get(User, user_id)
    if user is None or user.deleted_at is not None or not _related(tx.session, actor_id, user_id):
        raise NotFound(NOT_FOUND)
    return _card(tx, actor_id, user)


@reads_only
@limited('searches')
def found_card(tx: Tx, *, actor_id: int, username: str) -> Profile:
    """The card of the account named ``username`` exactly (a people search result), else ``NotFound``."""
    user = find_by_username(tx.session, username)
    if user is None:
        raise NotFound(NOT_FOUND)
    return _card(tx, actor_id, user)


def clean_about(about: str) -> str:
    """The stored form of an "about" line (stripped, NFC), or ``Invalid``; empty means no line."""
    line = unicodedata.normalize('NFC', about.strip())
    if len(line) > ABOUT_MAX:
        raise Invalid(f'Your "about" line can be at most {ABOUT_MAX} characters long ({len(line)} now).',
                      code='about_too_long')
    if has_control_characters(line):
        raise Invalid('Your "about" line must be one line, without tabs or control characters.',
                      code='about_bad_character')
    return line


def _announce(tx: Tx, user: User) -> None:
    """``ProfileChanged`` with the name and picture ``user`` has now, to them, their friends and fellow group members
    (see the module docstring), published after the commit."""
    assert user.id is not None
    audience = {user.id, *related_people(tx, user_id=user.id)}
    tx.emit(ProfileChanged(recipients=tuple(sorted(audience)), user_id=user.id, username=user.username,
                           display_name=user.display_name, avatar=user.avatar))


def _card(tx: Tx, actor_id: int, user: User) -> Profile:
    assert user.id is not None
    me = user.id == actor_id
    relation = Relation.NONE if me else friendships.relation(tx, actor_id=actor_id, other_id=user.id)
    return Profile(user=UserPublic.model_validate(user), about=user.about, relation=relation, me=me,
                   blocked=not me and has_blocked(tx.session, actor_id, user.id))


def _related(session: Session, actor_id: int, other_id: int) -> bool:
    """Whether the actor is the other person, has any friendship row with them (accepted or pending), shares a
    group with them or has blocked them: one query."""
    if actor_id == other_id:
        return True
    low, high = sorted((actor_id, other_id))
    mine, theirs = ConversationMember.__table__.alias('mine'), ConversationMember.__table__.alias('theirs')  # type: ignore[attr-defined]
    pair = exists().where(col(Friendship.user_low_id) == low, col(Friendship.user_high_id) == high)
    group = exists().select_from(
        mine.join(theirs, theirs.c.conversation_id == mine.c.conversation_id)
        .join(Conversation.__table__, col(Conversation.id) == mine.c.conversation_id)  # type: ignore[attr-defined]
    ).where(and_(mine.c.user_id == actor_id, theirs.c.user_id == other_id,
                 col(Conversation.kind) == ConversationKind.GROUP))
    return bool(session.exec(select(or_(pair, group))).one()) or has_blocked(session, actor_id, other_id)
