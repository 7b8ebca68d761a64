"""Full-text search over the messages a person may read: text messages, not deleted, in conversations they may use
now (the rule of ``conversations.require_access``), after the point they joined each one.

Ranking every match of a common word (half of a million messages hold "the") costs far more than the 50 ms a search
may take, on both backends, so a search ranks a bounded candidate set: the newest ``CANDIDATES`` matches in the
person's conversations, best first by BM25 computed over them in Python (``search_text.rank``, the same on both
backends), ties newest first. When every match fits, that is all of them; otherwise ``limited`` tells the page
that older matches exist and that more words find them. How each backend finds the candidates:

- SQLite walks the FTS5 index newest first (its rowid is the message id) and keeps the matches in the person's
  conversations, stopping at ``CANDIDATES``. Looking up each index row's message costs about a microsecond, so the
  walk is also bounded to the newest ``SCAN_LIMIT`` rows of the index that match: a common word in the
  conversations of someone who is in few of them cannot make a search read the whole index.
- PostgreSQL reads revision 0007's side table ``message_search_pg``: each message's words parsed once when it was
  written, under the key ``(conversation_id, seq)``. For each of the person's conversations it reads the key range
  after the point they joined, newest first, from the index alone, checks the stored words, and stops at
  ``CANDIDATES`` matches in that conversation. The work is bounded by the person's own messages, never by how common
  a word is elsewhere, and a common word stops early; it is also bounded to ``OWN_SCAN_LIMIT`` messages: beyond, each
  conversation is read back to the same depth (its newest K messages) and ``limited`` says so. Measured on scenario l
  (docs/benchmarks.md), with what was tried before it: reading the person's messages and parsing each on the fly
  (9 µs a message, p99 496 ms), 0005's GIN index alone (it reads every match of a common word: 85 ms for "the"), and
  a ``btree_gin`` index on ``(conversation_id, words)`` (GIN reads the whole list of a common word again for every
  conversation: 485 ms for "the" over 300 conversations). Scenario l's p99 went from 496 ms to 36 ms.

Every word must be in a message for it to match, whole (no stemming, no prefixes), in any case, and every phrase
(CJK text, each character a word) with its words in order; see ``search_text`` for what a word is. The SQLite
statements repeat revision 0005's predicate, the PostgreSQL ones revision 0007's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, text
from sqlalchemy import select as core_select

from chatapp.clock import as_utc
from chatapp.schemas import MessageSearchPage, SearchHit
from chatapp.security.limits import limited
from chatapp.services.conversations import _allowed, core_table, direct_path, group_path
from chatapp.services.search_text import fts5_match, has_phrase, rank, search_terms, snippet, tsquery
from chatapp.services.tx import Tx, reads_only
from models import Conversation, ConversationKind, ConversationMember, Friendship, Message, User

PAGE_SIZE = 20
CANDIDATES = 200
"""Matches ranked together: ten pages."""
SCAN_LIMIT = 20_000
"""SQLite: index rows (newest matches anywhere) a search walks at most."""
OWN_SCAN_LIMIT = 40_000
"""PostgreSQL: messages of a person's conversations a search reads at most: 0.3-0.5 µs each from the side table's
index (49,000 took 25 ms, 69,000 20 ms, on the shared 2 cores), so about 20 ms."""

_members = core_table(ConversationMember)
_conversations = core_table(Conversation)
_friendships = core_table(Friendship)
_users = core_table(User)
_messages = core_table(Message)
_me = _members.alias('me')
_other = _members.alias('other')
_peer = _users.alias('peer')
_c = _conversations.c
_low_first = _other.c.user_id < _me.c.user_id
_PLACES = (
    core_select(_c.id, _c.kind, _c.title, _c.last_seq, _me.c.joined_seq, _friendships.c.status,
                _peer.c.username.label('peer_username'), _peer.c.display_name.label('peer_display_name'))
    .select_from(
        _me.join(_conversations, _c.id == _me.c.conversation_id)
        .outerjoin(_other, and_(_c.kind == ConversationKind.DIRECT, _other.c.conversation_id == _me.c.conversation_id,
                                _other.c.user_id != _me.c.user_id))
        .outerjoin(_peer, _peer.c.id == _other.c.user_id)
        .outerjoin(_friendships, and_(
            _friendships.c.user_low_id == case((_low_first, _other.c.user_id), else_=_me.c.user_id),
            _friendships.c.user_high_id == case((_low_first, _me.c.user_id), else_=_other.c.user_id))))
    .where(_me.c.user_id == bindparam('actor_id'))
)
"""Every conversation the actor is a member of, with what decides access (``conversations._allowed``) and what a
hit shows of it. The rule is applied in Python to these rows, so it is the very function ``require_access`` uses."""
_POSTGRES_PLACES = text(
    # The same rows as _PLACES, written so that PostgreSQL looks each conversation, peer and friendship up by its key:
    # joined plainly, it hashed the whole conversation, user and friendship tables for a person in 300 conversations
    # (8-22 ms on scenario l, against 3-6 ms so). A LATERAL subquery with LIMIT is planned once per row, by index.
    'SELECT c.id, c.kind, c.title, c.last_seq, me.joined_seq, peer.status, peer.username AS peer_username, '
    'peer.display_name AS peer_display_name FROM conversationmember AS me CROSS JOIN LATERAL '
    '(SELECT id, kind, title, last_seq FROM conversation WHERE id = me.conversation_id LIMIT 1) AS c '
    'LEFT JOIN LATERAL (SELECT u.username, u.display_name, f.status FROM conversationmember AS other '
    'JOIN "user" AS u ON u.id = other.user_id LEFT JOIN friendship AS f '
    'ON f.user_low_id = least(other.user_id, me.user_id) AND f.user_high_id = greatest(other.user_id, me.user_id) '
    'WHERE c.kind = :direct AND other.conversation_id = me.conversation_id AND other.user_id <> me.user_id '
    'LIMIT 1) AS peer ON true WHERE me.user_id = :actor_id')

# The statements repeat revision 0005's predicate (kind = 'text' AND deleted_at IS NULL) and its expression as
# constants, so PostgreSQL can use the index, and the join boundary (m.seq > me.joined_seq).
_SQLITE_WINDOW = text(
    'SELECT count(*) AS scanned, min(rowid) AS oldest FROM (SELECT rowid FROM message_search '
    'WHERE message_search MATCH :match ORDER BY rowid DESC LIMIT :scan)')
_SQLITE_CANDIDATES = text(
    # CROSS JOIN fixes SQLite's join order: the index first, newest first, so the walk can stop early.
    'SELECT m.id, m.body FROM message_search CROSS JOIN message AS m CROSS JOIN conversationmember AS me '
    'WHERE message_search MATCH :match AND message_search.rowid >= :oldest AND m.id = message_search.rowid '
    'AND m.conversation_id IN :ids AND me.conversation_id = m.conversation_id AND me.user_id = :actor_id '
    "AND m.seq > me.joined_seq AND m.kind = 'text' AND m.deleted_at IS NULL "
    'ORDER BY message_search.rowid DESC LIMIT :limit'
).bindparams(bindparam('ids', expanding=True))
_POSTGRES_CANDIDATES_OF = (
    # The query is parsed once (a FROM item); each conversation is one backward index-only range scan of the side
    # table's key, after both the join point (from the membership row itself) and the depth ``floor``.
    'SELECT m.id, m.body FROM (SELECT hit.message_id FROM {query} AS q, '
    'unnest(CAST(:ids AS integer[]), CAST(:floors AS integer[])) AS place(conversation_id, floor) '
    'JOIN conversationmember AS me ON me.conversation_id = place.conversation_id AND me.user_id = :actor_id '
    'CROSS JOIN LATERAL (SELECT s.message_id FROM message_search_pg AS s '
    'WHERE s.conversation_id = place.conversation_id AND s.seq > greatest(me.joined_seq, place.floor) '
    'AND s.words @@ q ORDER BY s.seq DESC LIMIT :limit) AS hit ORDER BY hit.message_id DESC LIMIT :limit) AS found '
    "JOIN message AS m ON m.id = found.message_id WHERE m.kind = 'text' AND m.deleted_at IS NULL ORDER BY m.id DESC")
_POSTGRES_CANDIDATES = text(_POSTGRES_CANDIDATES_OF.format(query="plainto_tsquery('simple'::regconfig, :words)"))
_POSTGRES_PHRASE_CANDIDATES = text(_POSTGRES_CANDIDATES_OF.format(query="to_tsquery('simple'::regconfig, :words)"))
"""The same for a query with a phrase (CJK text): ``search_text.tsquery`` writes it, words in quotes."""
_m = _messages.c
_sender = _users.alias('sender')
_HITS = (
    core_select(_m.id, _m.conversation_id, _m.seq, _m.sender_id, _m.created_at,
                _sender.c.username, _sender.c.display_name)
    .select_from(_messages.join(_sender, _sender.c.id == _m.sender_id))
    .where(_m.id.in_(bindparam('ids', expanding=True)))
)


@dataclass(frozen=True)
class _Place:
    """A conversation the actor may read, as a hit names it."""

    title: str
    path: str
    visible: int
    """Messages and events after the actor joined."""
    last_seq: int


@reads_only
@limited('searches')
def search_messages(tx: Tx, *, actor_id: int, query: str, page: int = 0) -> MessageSearchPage:
    """Page ``page`` (from 0, ``PAGE_SIZE`` hits) of the actor's messages that hold every word of ``query``, best
    first. A bad query raises ``Invalid`` (see ``search_text.search_terms``); a page past the end is empty."""
    terms = search_terms(query)
    page = max(0, page)
    connection = tx.session.connection()
    places = _places(connection, actor_id)
    if not places or page * PAGE_SIZE >= CANDIDATES:
        return MessageSearchPage(hits=[], page=page, has_more=False, limited=False)
    candidates, limited_ = _candidates(connection, actor_id, terms, places)
    ranked = rank(candidates, terms)
    chosen = ranked[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    return MessageSearchPage(hits=_hits(connection, actor_id, chosen, places, terms), page=page,
                             has_more=len(ranked) > (page + 1) * PAGE_SIZE, limited=limited_)


def _places(connection: Connection, actor_id: int) -> dict[int, _Place]:
    places = {}
    statement = _PLACES if connection.dialect.name == 'sqlite' else _POSTGRES_PLACES
    for row in connection.execute(statement, {'actor_id': actor_id, 'direct': ConversationKind.DIRECT.value}):
        if not _allowed(row):
            continue
        if row.kind == ConversationKind.GROUP:
            title, path = row.title or '', group_path(row.id)
        else:
            title, path = row.peer_display_name or row.peer_username, direct_path(row.peer_username)
        places[row.id] = _Place(title=title, path=path, visible=max(0, row.last_seq - row.joined_seq),
                                last_seq=row.last_seq)
    return places


def _candidates(connection: Connection, actor_id: int, terms: list[str], places: dict[int, _Place]
                ) -> tuple[list[tuple[int, str]], bool]:
    """The newest ``CANDIDATES`` matches as ``(message id, text)``, and whether older ones may have been left
    out."""
    params: dict[str, Any] = {'actor_id': actor_id, 'ids': list(places), 'limit': CANDIDATES}
    scanned_all = True
    if connection.dialect.name == 'sqlite':
        match = fts5_match(terms)
        window = connection.execute(_SQLITE_WINDOW, {'match': match, 'scan': SCAN_LIMIT}).one()
        if not window.scanned:
            return [], False
        scanned_all = window.scanned < SCAN_LIMIT
        rows = connection.execute(_SQLITE_CANDIDATES, {**params, 'match': match, 'oldest': window.oldest}).all()
    else:
        depth = scan_depth([place.visible for place in places.values()], OWN_SCAN_LIMIT)
        scanned_all = depth is None
        floors = [0 if depth is None else place.last_seq - depth for place in places.values()]
        # arrays, not an expanded IN list: one statement text for everyone, so the driver prepares it once
        # ``<->`` needs positions, which the side table keeps only for messages with CJK text (revision 0009): the
        # only ones a phrase can match
        if has_phrase(terms):
            statement, words = _POSTGRES_PHRASE_CANDIDATES, tsquery(terms)
        else:
            statement, words = _POSTGRES_CANDIDATES, ' '.join(terms)
        rows = connection.execute(statement, {**params, 'floors': floors, 'words': words}).all()
    found = [(row.id, row.body) for row in rows]
    return found, len(found) == CANDIDATES or not scanned_all


def scan_depth(visible: list[int], limit: int) -> int | None:
    """How many of its newest messages each conversation may give a search so that all of them together give at most
    ``limit`` (``visible`` is what each holds after the searcher joined): ``None`` when all fit. Every conversation
    gets the same depth, the largest that fits, so a busy conversation cannot crowd out the others' recent messages;
    at least one, so a person in more conversations than ``limit`` still finds their newest messages."""
    if sum(visible) <= limit:
        return None
    low, high = 0, max(visible)  # sum(min(v, depth)) grows with depth: the largest depth that fits
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(count, middle) for count in visible) <= limit:
            low = middle
        else:
            high = middle - 1
    return max(low, 1)


def _hits(connection: Connection, actor_id: int, chosen: list[tuple[int, str]], places: dict[int, _Place],
          terms: list[str]) -> list[SearchHit]:
    if not chosen:
        return []
    rows = {row.id: row for row in connection.execute(_HITS, {'ids': [message_id for message_id, _ in chosen]})}
    hits = []
    for message_id, body in chosen:  # in rank order
        row = rows[message_id]
        place = places[row.conversation_id]
        sender = 'You' if row.sender_id == actor_id else (row.display_name or row.username)
        hits.append(SearchHit(message_id=row.id, conversation_id=row.conversation_id, conversation_title=place.title,
                              path=place.path, seq=row.seq, sender_label=sender, created_at=as_utc(row.created_at),
                              snippet=snippet(body, terms)))
    return hits
