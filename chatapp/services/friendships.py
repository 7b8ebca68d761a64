"""Friend requests and friendships. Every function acts for ``actor_id`` and checks what that person may do.

Events: each change emits ``FriendshipChanged`` to exactly the two people concerned; nobody else learns of it.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Delete, Update, exc, or_
from sqlmodel import Session, col, delete, select, update

from chatapp.clock import utcnow
from chatapp.errors import Conflict, Invalid, NotFound
from chatapp.events import FriendshipChanged
from chatapp.schemas import FriendsOverview, PersonResult, Relation, SearchPage, UserPublic
from chatapp.security.limits import limited
from chatapp.services.blocking import has_blocked
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import require_user
from models import Friendship, FriendshipStatus, User

SEARCH_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 64
RACE_ATTEMPTS = 3
NO_REQUEST = 'There is no pending friend request between you.'
UNAVAILABLE = 'You cannot send a friend request to this person.'


@limited('friend_requests')
def send_request(tx: Tx, *, actor_id: int, target_id: int) -> Relation:
    """Ask ``target_id`` to be friends. When they already asked the actor, this accepts instead, so a mutual request
    becomes a friendship. Refused while either blocks the other. Returns the new relation."""
    if actor_id == target_id:
        raise Invalid('You cannot send a friend request to yourself.')
    require_user(tx.session, target_id)
    _check_blocks(tx.session, actor_id, target_id)
    # Each pass reads the pair and writes only if it is still as read; one that lost a race reads again.
    for _ in range(RACE_ATTEMPTS):
        row = _pair(tx.session, actor_id, target_id)
        if row is None:
            if _insert_request(tx.session, actor_id, target_id):
                _emit(tx, actor_id, target_id, 'pending')
                return Relation.REQUESTED
            continue  # a concurrent request for the same pair won the race: answer it
        if row.status == FriendshipStatus.ACCEPTED:
            raise Conflict('You are already friends.')
        if row.requester_id == actor_id:
            raise Conflict('You have already sent a friend request to this person.')
        if _accept(tx, row, actor_id, target_id):
            return Relation.FRIENDS
    raise Conflict('Something changed between you two at this very moment. Please try again.')


@limited('friend_answers')
def accept_request(tx: Tx, *, actor_id: int, requester_id: int) -> None:
    """Accept the pending request that ``requester_id`` sent to the actor."""
    row = _pending_from(tx.session, requester_id, actor_id)
    if not _accept(tx, row, actor_id, requester_id):
        raise NotFound(NO_REQUEST)


@limited('friend_answers')
def decline_request(tx: Tx, *, actor_id: int, requester_id: int) -> None:
    """Refuse the pending request that ``requester_id`` sent to the actor."""
    row = _pending_from(tx.session, requester_id, actor_id)
    if not _change(tx.session, delete(Friendship), row, FriendshipStatus.PENDING):
        raise NotFound(NO_REQUEST)
    _emit(tx, actor_id, requester_id, 'removed')


@limited('friend_requests')
def cancel_request(tx: Tx, *, actor_id: int, target_id: int) -> None:
    """Withdraw the actor's pending request to ``target_id``."""
    row = _pending_from(tx.session, actor_id, target_id)
    if not _change(tx.session, delete(Friendship), row, FriendshipStatus.PENDING):
        raise NotFound(NO_REQUEST)
    _emit(tx, actor_id, target_id, 'removed')


@limited('friend_requests')
def unfriend(tx: Tx, *, actor_id: int, friend_id: int) -> None:
    """End the friendship; the conversation closes for both at once (their views hear ``removed``)."""
    row = _pair(tx.session, actor_id, friend_id)
    if row is None or row.status != FriendshipStatus.ACCEPTED or not _change(
            tx.session, delete(Friendship), row, FriendshipStatus.ACCEPTED):
        raise NotFound('You are not friends with this person.')
    _emit(tx, actor_id, friend_id, 'removed')


@reads_only
def overview(tx: Tx, *, actor_id: int) -> FriendsOverview:
    """The actor's friends, incoming and outgoing requests, each sorted by name."""
    friends: list[UserPublic] = []
    incoming: list[UserPublic] = []
    outgoing: list[UserPublic] = []
    for row, other in _relations(tx.session, actor_id):
        person = UserPublic.model_validate(other)
        if row.status == FriendshipStatus.ACCEPTED:
            friends.append(person)
        elif row.requester_id == actor_id:
            outgoing.append(person)
        else:
            incoming.append(person)
    return FriendsOverview(friends=friends, incoming=incoming, outgoing=outgoing)


@reads_only
def relation(tx: Tx, *, actor_id: int, other_id: int) -> Relation:
    """Where the actor stands with ``other_id``."""
    return _relation_of(_pair(tx.session, actor_id, other_id), actor_id)


def are_friends(session: Session, a: int, b: int, *, hold: bool = False) -> bool:
    """True when ``a`` and ``b`` have an accepted friendship. ``hold`` keeps it from ending until this transaction
    commits (a shared row lock on PostgreSQL; SQLite transactions are serialised anyway), so a message sent while
    the other person unfriends is either stored before the friendship ends or refused."""
    row = _pair(session, a, b, hold=hold)
    return row is not None and row.status == FriendshipStatus.ACCEPTED


@reads_only
@limited('searches')
def search_people(tx: Tx, *, actor_id: int, query: str, page: int = 0) -> SearchPage:
    """People whose username or display name contains ``query`` (any case), never the actor nor a deleted account,
    a page at a time."""
    return refresh_search(tx, actor_id=actor_id, query=query, page=page)


def refresh_search(tx: Tx, *, actor_id: int, query: str, page: int = 0) -> SearchPage:
    """``search_people`` run again by the dashboard itself after a friendship changed (the relations shown may
    have): the server decides when it runs, not the person, so it does not count against the search limit."""
    text = query.strip().lower()
    if not text:
        raise Invalid('Type part of a name to search.')
    if '\x00' in text:
        raise Invalid('A search cannot contain NUL characters.')
    if len(text) > SEARCH_MAX_LENGTH:
        raise Invalid(f'Search for at most {SEARCH_MAX_LENGTH} characters.')
    page = max(page, 0)
    pattern = '%' + text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'
    statement = (
        select(User)
        .where(User.id != actor_id, col(User.deleted_at).is_(None))
        .where(or_(User.username.like(pattern, escape='\\'), User.display_name.ilike(pattern, escape='\\')))  # type: ignore[attr-defined]
        .order_by(User.username)
        .offset(page * SEARCH_PAGE_SIZE)
        .limit(SEARCH_PAGE_SIZE + 1)
    )
    users = list(tx.session.exec(statement))
    has_more = len(users) > SEARCH_PAGE_SIZE
    users = users[:SEARCH_PAGE_SIZE]
    people = [UserPublic.model_validate(user) for user in users]
    rows = {_other_id(row, actor_id): row for row, _ in _relations(tx.session, actor_id, [p.id for p in people])}
    results = [PersonResult(user=person, relation=_relation_of(rows.get(person.id), actor_id)) for person in people]
    return SearchPage(results=results, page=page, has_more=has_more)


def _check_blocks(session: Session, actor_id: int, target_id: int) -> None:
    """Refuse a request across a block (``services.blocking``). The blocker is told to unblock first; the blocked
    person gets a refusal that does not say why, the same whoever blocked whom."""
    if has_blocked(session, actor_id, target_id):
        raise Conflict('You have blocked this person. Unblock them in Settings first.', code='blocked')
    if has_blocked(session, target_id, actor_id):
        raise Conflict(UNAVAILABLE, code='unavailable')


def _accept(tx: Tx, row: Friendship, actor_id: int, other_id: int) -> bool:
    """Make the pending request ``row`` a friendship; False when a concurrent change got to it first."""
    accepted = update(Friendship).values(status=FriendshipStatus.ACCEPTED, accepted_at=utcnow())
    if not _change(tx.session, accepted, row, FriendshipStatus.PENDING):
        return False
    _emit(tx, actor_id, other_id, 'accepted')
    return True


def _change(session: Session, statement: Update | Delete, row: Friendship, status: FriendshipStatus) -> bool:
    """Apply ``statement`` to ``row`` only if the row is still as we read it; True when it was.

    Between our read and our write the other person may have accepted, withdrawn or ended the same row. Writing
    unconditionally would then fail with an ORM error, or worse succeed: a withdrawn request would delete the
    friendship that an acceptance had just made. With the condition in the statement the database decides (at
    READ COMMITTED, PostgreSQL re-checks it on the newest version of the row), and the caller answers as if the
    other change had come first."""
    result = session.exec(statement.where(col(Friendship.id) == row.id, col(Friendship.status) == status,
                                          col(Friendship.requester_id) == row.requester_id))
    return result.rowcount == 1


def _emit(tx: Tx, a: int, b: int, status: Literal['pending', 'accepted', 'removed']) -> None:
    tx.emit(FriendshipChanged(recipients=(a, b), user_ids=(a, b), status=status))


def _pair(session: Session, a: int, b: int, *, hold: bool = False) -> Friendship | None:
    low, high = sorted((a, b))
    # populate_existing: a second read in the same session must show the row as it is now, not as first loaded.
    statement = select(Friendship).where(Friendship.user_low_id == low, Friendship.user_high_id == high) \
        .execution_options(populate_existing=True)
    if hold:
        statement = statement.with_for_update(read=True)
    return session.exec(statement).first()


def _insert_request(session: Session, actor_id: int, target_id: int) -> bool:
    """Store the actor's pending request; False when a concurrent one for the same pair was stored first."""
    low, high = sorted((actor_id, target_id))
    try:
        with session.begin_nested():
            session.add(Friendship(user_low_id=low, user_high_id=high, requester_id=actor_id))
    except exc.IntegrityError:
        if _pair(session, actor_id, target_id) is None:
            raise  # not the pair's unique constraint: a real error
        return False
    return True


def _pending_from(session: Session, requester_id: int, addressee_id: int) -> Friendship:
    row = _pair(session, requester_id, addressee_id)
    if row is None or row.status != FriendshipStatus.PENDING or row.requester_id != requester_id:
        raise NotFound(NO_REQUEST)
    return row


def _relations(session: Session, actor_id: int, among: list[int] | None = None) -> list[tuple[Friendship, User]]:
    """The actor's friendship rows with the other person of each, optionally only with people in ``among``."""
    other = col(Friendship.user_low_id) + col(Friendship.user_high_id) - actor_id
    statement = (
        select(Friendship, User)
        .join(User, col(User.id) == other)
        .where(or_(col(Friendship.user_low_id) == actor_id, col(Friendship.user_high_id) == actor_id))
        .order_by(User.username)
    )
    if among is not None:
        statement = statement.where(other.in_(among))
    return [(row, user) for row, user in session.exec(statement)]


def _other_id(row: Friendship, actor_id: int) -> int:
    return row.user_high_id if row.user_low_id == actor_id else row.user_low_id


def _relation_of(row: Friendship | None, actor_id: int) -> Relation:
    if row is None:
        return Relation.NONE
    if row.status == FriendshipStatus.ACCEPTED:
        return Relation.FRIENDS
    return Relation.REQUESTED if row.requester_id == actor_id else Relation.INCOMING
