"""The search index follows every change to a message, on each backend, and PostgreSQL's side table of revision 0007
holds exactly the messages that can be found; a person in too many messages searches the newest of each
conversation and is told so."""

from __future__ import annotations

import string

import pytest
from sqlalchemy import Engine, text

from chatapp.db import make_engine
from chatapp.migrate import downgrade, upgrade
from chatapp.schemas import UserPublic
from chatapp.services import message_changes, search, search_text
from chatapp.services.tx import ServiceRunner
from models import REACTIONS
from tests.factories import make_group, make_user, open_chat, say

PUNCTUATION = "'" + string.punctuation.replace("'", "''") + "'"
WORDS = f"strip(to_tsvector('simple'::regconfig, translate(body, {PUNCTUATION}, '{' ' * len(string.punctuation)}')))"
FOUND_ROWS = (f'SELECT conversation_id, seq, id, {WORDS}::text FROM message '  # noqa: S608 (constants)
              "WHERE kind = 'text' AND deleted_at IS NULL ORDER BY conversation_id, seq")
"""The side table's rows built anew from ``message`` (revision 0009's words for text without CJK characters: ASCII
punctuation read as spaces)."""
SIDE_ROWS = ('SELECT conversation_id, seq, message_id, words::text FROM message_search_pg '
             'ORDER BY conversation_id, seq')


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice', display_name='Alice')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob', display_name='Bob')


def found(services: ServiceRunner, who: UserPublic, query: str) -> list[str]:
    page, _ = services.run_sync(search.search_messages, actor_id=who.id, query=query)
    return [''.join(part.text for part in hit.snippet) for hit in page.hits]


def rows(engine: Engine, statement: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(statement))]


def test_an_edit_a_delete_and_a_reaction_move_the_index(services: ServiceRunner, alice: UserPublic,
                                                       bob: UserPublic) -> None:
    """Through the app's own services: an edit replaces the words, a delete empties the body and hides it."""
    chat = open_chat(services, alice, bob)
    pie = say(services, bob, chat, 'apple pie tonight')
    say(services, alice, chat, 'apple juice')
    services.run_sync(message_changes.toggle_reaction, actor_id=alice.id, conversation_id=chat, seq=pie.seq,
                      emoji=REACTIONS[0])
    assert found(services, alice, 'apple') == ['apple juice', 'apple pie tonight']

    services.run_sync(message_changes.edit_message, actor_id=bob.id, conversation_id=chat, seq=pie.seq,
                      body='banana split tonight')
    assert found(services, alice, 'apple') == ['apple juice']
    assert found(services, alice, 'banana') == ['banana split tonight']
    assert found(services, alice, 'tonight') == ['banana split tonight']

    services.run_sync(message_changes.delete_message, actor_id=bob.id, conversation_id=chat, seq=pie.seq)
    assert found(services, alice, 'banana') == []
    assert found(services, alice, 'tonight') == []
    assert found(services, alice, 'apple') == ['apple juice']


def test_the_side_table_holds_exactly_the_messages_that_can_be_found(services: ServiceRunner, alice: UserPublic,
                                                                    bob: UserPublic) -> None:
    """PostgreSQL: after sends, timeline events, an edit, a reaction, a delete and a row deleted outright, the side
    table is what revision 0007 would build from ``message`` anew."""
    if services.engine.dialect.name != 'postgresql':
        pytest.skip('the side table is PostgreSQL-only')
    chat = open_chat(services, alice, bob)
    group = make_group(services, alice, [bob], title='Trip plans', befriend=False)  # events: never in it
    first = say(services, bob, chat, "Café au lait, s'il vous plaît")
    second = say(services, alice, group.conversation_id, 'the <b>train</b> leaves at nine')
    third = say(services, alice, chat, 'gone soon')
    kept = say(services, alice, chat, 'kept as it is')
    services.run_sync(message_changes.edit_message, actor_id=bob.id, conversation_id=chat, seq=first.seq,
                      body='tea instead')
    services.run_sync(message_changes.toggle_reaction, actor_id=bob.id, conversation_id=group.conversation_id,
                      seq=second.seq, emoji=REACTIONS[0])
    services.run_sync(message_changes.delete_message, actor_id=alice.id, conversation_id=chat, seq=third.seq)
    with services.engine.begin() as connection:
        connection.execute(text('DELETE FROM message WHERE id = :id'), {'id': kept.id})

    side = rows(services.engine, SIDE_ROWS)
    assert side == rows(services.engine, FOUND_ROWS)
    assert [(row[2], row[3]) for row in side] == [(first.id, "'instead' 'tea'"),
                                                  (second.id, "'at' 'b' 'leaves' 'nine' 'the' 'train'")]


def test_a_change_to_other_columns_leaves_the_row_alone(services: ServiceRunner, alice: UserPublic,
                                                        bob: UserPublic) -> None:
    """PostgreSQL: a reaction's counter or an UPDATE that sets the same text does not rewrite the message's row
    (its ``xmin``, the transaction that wrote it, stays), so such writes do not parse the text again."""
    if services.engine.dialect.name != 'postgresql':
        pytest.skip('the side table is PostgreSQL-only')
    chat = open_chat(services, alice, bob)
    message = say(services, bob, chat, 'unchanged words')
    written = 'SELECT xmin::text FROM message_search_pg WHERE message_id = :id'
    with services.engine.connect() as connection:
        before = connection.execute(text(written), {'id': message.id}).scalar_one()
    with services.engine.begin() as connection:
        connection.execute(text('UPDATE message SET change_seq = change_seq + 1, body = body WHERE id = :id'),
                           {'id': message.id})
    with services.engine.connect() as connection:
        assert connection.execute(text(written), {'id': message.id}).scalar_one() == before
    with services.engine.begin() as connection:  # the edit path's statement does rewrite it
        connection.execute(text("UPDATE message SET body = 'changed words', edited_at = created_at, "
                                'change_seq = change_seq + 1 WHERE id = :id'), {'id': message.id})
    assert found(services, alice, 'changed') == ['changed words']
    assert found(services, alice, 'unchanged') == []


@pytest.mark.parametrize(('visible', 'limit', 'depth'), [
    ([10, 20], 30, None), ([10, 20], 29, 19), ([100, 5, 5], 30, 20), ([3, 3, 3], 3, 1), ([50], 10, 10),
    ([0, 0, 40], 10, 10), ([7, 7, 7, 7], 2, 1)])
def test_scan_depth_is_the_largest_that_fits(visible: list[int], limit: int, depth: int | None) -> None:
    assert search.scan_depth(visible, limit) == depth


def test_beyond_the_scan_limit_the_newest_of_each_conversation_are_searched(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a person whose conversations hold more than ``OWN_SCAN_LIMIT`` messages searches the same number
    of newest messages in each, and the page says that older matches may exist."""
    if services.engine.dialect.name != 'postgresql':
        pytest.skip("SQLite bounds its walk of the FTS5 index instead (SCAN_LIMIT)")
    carol = make_user(services, 'carol')
    busy, quiet = open_chat(services, alice, bob), open_chat(services, alice, carol)
    for n in range(6):
        say(services, bob, busy, f'pear {n}')
    say(services, carol, quiet, 'old pear')
    say(services, carol, quiet, 'new pear')

    everything, _ = services.run_sync(search.search_messages, actor_id=alice.id, query='pear')
    assert len(everything.hits) == 8 and not everything.limited

    monkeypatch.setattr(search, 'OWN_SCAN_LIMIT', 5)  # 6 + 2 messages: the newest three of each fit (3 + 2)
    bounded, _ = services.run_sync(search.search_messages, actor_id=alice.id, query='pear')
    assert sorted(''.join(part.text for part in hit.snippet) for hit in bounded.hits) == [
        'new pear', 'old pear', 'pear 3', 'pear 4', 'pear 5']
    assert bounded.limited


def test_revision_0007_fills_the_table_and_its_downgrade_restores_0005(db_url: str) -> None:
    """PostgreSQL: a database at 0006 with messages gets exactly its findable ones; going back removes the table, its
    trigger and function, and brings 0005's GIN index back."""
    engine = make_engine(db_url)
    try:
        if engine.dialect.name != 'postgresql':
            pytest.skip('revision 0007 changes nothing on SQLite')
        upgrade(engine, '0006')
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO \"user\" (id, username, display_name, password_hash, created_at) "
                                    "VALUES (1, 'ada', 'Ada', 'x', CURRENT_TIMESTAMP)"))
            connection.execute(text("INSERT INTO conversation (id, kind, last_seq, created_at, last_activity_at, "
                                    "change_seq) VALUES (1, 'group', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)"))
            connection.execute(text(
                "INSERT INTO message (conversation_id, seq, sender_id, body, created_at, kind, deleted_at) VALUES "
                "(1, 1, 1, '{\"event\": \"created\"}', CURRENT_TIMESTAMP, 'event', NULL), "
                "(1, 2, 1, 'Hello World', CURRENT_TIMESTAMP, 'text', NULL), "
                "(1, 3, 1, '', CURRENT_TIMESTAMP, 'text', CURRENT_TIMESTAMP)"))

        upgrade(engine)
        assert rows(engine, SIDE_ROWS) == rows(engine, FOUND_ROWS)
        assert [row[3] for row in rows(engine, SIDE_ROWS)] == ["'hello' 'world'"]

        downgrade(engine, '0006')
        with engine.connect() as connection:
            assert connection.execute(text("SELECT to_regclass('message_search_pg'), to_regclass('ix_message_search'),"
                                           " to_regproc('message_search_pg_sync')")).one() == (
                None, 'ix_message_search', None)
            triggers = connection.execute(text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'message'::regclass "
                                               "AND tgname LIKE 'message_search%'"))
            assert triggers.scalar_one() == 0
    finally:
        engine.dispose()


def test_ascii_text_is_split_into_the_same_words_by_the_fast_pattern() -> None:
    """Ranking and snippets split ASCII text with a plain pattern: it must take exactly the characters the full rule
    takes (letters and digits), or a message would rank or mark differently than its accented twin."""
    for code in range(128):
        char = chr(code)
        assert bool(search_text._ASCII_WORD.fullmatch(char)) == search_text._is_word_char(char), repr(char)
    body = 'Meet at 10:30 -- the café_bar (ok?)'
    assert search_text._words_of(body) is search_text._word_pattern()
    assert search_text._words_of(body.replace('é', 'e')).findall(body.replace('é', 'e')) == [
        'Meet', 'at', '10', '30', 'the', 'cafe', 'bar', 'ok']
