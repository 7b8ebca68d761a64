"""Chinese, Japanese and Korean text on each backend: a run of characters typed together is found wherever it stands
inside a longer run, in that order only, the snippet marks it, and access is what it is for any other text. Revision
0009 indexes existing messages anew and its downgrade restores what 0005 and 0007 indexed."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from sqlalchemy import Engine, text

from chatapp import cjk
from chatapp.db import make_engine
from chatapp.migrate import SCRIPT_LOCATION, downgrade, upgrade
from chatapp.schemas import MessageSearchPage, UserPublic
from chatapp.services import friendships, groups, message_changes
from chatapp.services.search_text import SNIPPET_LENGTH, fts5_match, has_phrase, search_terms, tsquery
from chatapp.services.tx import ServiceRunner
from tests.factories import make_friends, make_group, open_chat, say
from tests.services.test_search import find, texts


def marked(found: MessageSearchPage) -> list[list[str]]:
    return [[part.text for part in hit.snippet if part.match] for hit in found.hits]


def test_a_run_with_cjk_characters_is_one_phrase_for_each_backend() -> None:
    terms = search_terms('東京でPython, hello 猫 ok')
    assert terms == ['東 京 で python', 'hello', '猫', 'ok']
    assert fts5_match(terms) == '"東 京 で python" "hello" "猫" "ok"'
    assert tsquery(terms) == "('東' <-> '京' <-> 'で' <-> 'python') & ('hello') & ('猫') & ('ok')"
    assert not has_phrase(search_terms('hello 猫'))  # one character: PostgreSQL's usual plainto_tsquery


def test_chinese_is_found_inside_a_run_in_order_only(services: ServiceRunner, alice: UserPublic,
                                                     bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '我们你好吗')
    say(services, bob, chat, '你们好')
    say(services, alice, chat, '你好你好。朋友')

    assert texts(find(services, alice, '你好')) == ['你好你好。朋友', '我们你好吗']  # two matches rank first
    assert texts(find(services, alice, '好你')) == ['你好你好。朋友']  # across the two greetings, nowhere else
    assert texts(find(services, alice, '们你好')) == ['我们你好吗']
    assert find(services, alice, '好们').hits == []
    assert texts(find(services, alice, '们')) == ['你们好', '我们你好吗']  # one character is a word


def test_japanese_kana_and_kanji_among_latin_words(services: ServiceRunner, alice: UserPublic,
                                                   bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '明日は東京でPythonを勉強します')
    say(services, bob, chat, '新しいプログラミング言語')

    for query in ('東京', 'pythonを勉強', '勉強 PYTHON', 'します', 'は東'):
        assert texts(find(services, alice, query)) == ['明日は東京でPythonを勉強します'], query
    assert texts(find(services, alice, 'プログラミング')) == ['新しいプログラミング言語']
    for query in ('京東', 'プログラム', 'Pythonは', 'ぷろぐらみんぐ'):  # order, a word's end, no kana folding
        assert find(services, alice, query).hits == [], query


def test_korean_syllables_inside_a_word(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '저는 한국어를 공부해요')

    for query in ('한국어', '국어를', '공부', '한국어 공부'):
        assert texts(find(services, alice, query)) == ['저는 한국어를 공부해요'], query
    assert find(services, alice, '어국').hits == []
    assert find(services, alice, '한국어 영어').hits == []


def test_a_latin_word_and_cjk_text_must_both_be_there(services: ServiceRunner, alice: UserPublic,
                                                      bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '明天的会议 meeting at 3')
    say(services, bob, chat, '会议取消了')
    say(services, bob, chat, 'the meeting is off')

    assert texts(find(services, alice, 'meeting 会议')) == ['明天的会议 meeting at 3']
    assert texts(find(services, alice, '的会议 at')) == ['明天的会议 meeting at 3']
    assert len(find(services, alice, 'meeting').hits) == 2
    assert len(find(services, alice, '会议').hits) == 2


def test_the_snippet_marks_the_matched_characters(services: ServiceRunner, alice: UserPublic,
                                                  bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '我们你好吗')
    say(services, bob, chat, '明日は東京でPythonを勉強します')
    say(services, bob, chat, '哈' * 300)

    first = find(services, alice, '你好').hits[0]
    assert [(part.text, part.match) for part in first.snippet] == [('我们', False), ('你好', True), ('吗', False)]
    assert marked(find(services, alice, 'pythonを 東京')) == [['東京', 'Pythonを']]
    long = find(services, alice, '哈哈').hits[0].snippet  # overlapping matches make one mark, cut to the snippet
    assert [(part.text, part.match) for part in long] == [('哈' * SNIPPET_LENGTH, True), ('…', False)]


def test_an_edit_and_a_delete_move_cjk_text_in_the_index(services: ServiceRunner, alice: UserPublic,
                                                         bob: UserPublic) -> None:
    """The triggers forget a message's characters as they indexed them (SQLite's FTS5 must be told the very words)."""
    chat = open_chat(services, alice, bob)
    message = say(services, bob, chat, '今天天气很好')
    services.run_sync(message_changes.edit_message, actor_id=bob.id, conversation_id=chat, seq=message.seq,
                      body='明天下雨')
    assert find(services, alice, '天气').hits == []
    assert texts(find(services, alice, '下雨')) == ['明天下雨']

    services.run_sync(message_changes.delete_message, actor_id=bob.id, conversation_id=chat, seq=message.seq)
    assert find(services, alice, '下雨').hits == []
    say(services, bob, chat, '下雨了')
    assert texts(find(services, alice, '下雨')) == ['下雨了']


def test_access_is_the_same_for_cjk_text(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                         carol: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '秘密の計画')
    group = make_group(services, alice, [bob], title='旅行', befriend=False)
    say(services, alice, group.conversation_id, '加入前の計画')
    make_friends(services, alice, carol)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=group.conversation_id,
                      user_ids=[carol.id])
    say(services, bob, group.conversation_id, '加入後の計画')

    assert texts(find(services, carol, '計画')) == ['加入後の計画']
    assert len(find(services, alice, '計画').hits) == 3
    services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)
    assert texts(find(services, alice, '計画')) == ['加入後の計画', '加入前の計画']
    services.run_sync(groups.remove_member, actor_id=alice.id, conversation_id=group.conversation_id,
                      user_id=carol.id)
    assert find(services, carol, '計画').hits == []


def test_every_block_is_split_on_both_backends(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    """A character of each block of ``cjk.CJK_RANGES`` (first and last of the block where it has letters), in one
    run: each is found alone, so the index split the run at each (PostgreSQL's regular expression included)."""
    samples = 'ᄀᇿ々ぁゟァヿㄅㅋㆎ㐀一鿕ꥠꥼ가힣豈ｦﾟￜ𛀀𠀀丽'
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, f'x{samples}y')
    for char in samples:
        assert cjk.has_cjk(char), char
        assert marked(find(services, alice, char)) == [[char]], f'U+{ord(char):04X}'


def test_the_revision_copies_the_ranges_of_the_app() -> None:
    """Revision 0009 indexed with its own copy of the ranges: a change to ``chatapp.cjk.CJK_RANGES`` needs a new
    revision that indexes the messages concerned anew (and a new copy there)."""
    assert revision_0009().CJK_RANGES == cjk.CJK_RANGES


def test_revision_0009_indexes_existing_messages_anew_and_its_downgrade_restores_them(db_url: str) -> None:
    """A database at 0008 with CJK and Latin messages: after the upgrade the CJK text is split (as the trigger splits
    a new message's), the Latin text is indexed as before; after the downgrade a run is one word again."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, '0008')
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO \"user\" (id, username, display_name, password_hash, created_at) "
                                    "VALUES (1, 'ada', 'Ada', 'x', CURRENT_TIMESTAMP)"))
            connection.execute(text("INSERT INTO conversation (id, kind, last_seq, created_at, last_activity_at, "
                                    "change_seq) VALUES (1, 'group', 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)"))
            connection.execute(text(
                "INSERT INTO message (id, conversation_id, seq, sender_id, body, created_at, kind) VALUES "
                "(1, 1, 1, 1, '我们你好吗 Hello', CURRENT_TIMESTAMP, 'text'), "
                "(2, 1, 2, 1, 'Hello World', CURRENT_TIMESTAMP, 'text')"))
        latin = words_of(engine, 2)

        upgrade(engine)
        assert matching(engine, ['你', '好']) == [1] and matching(engine, ['我们你好吗']) == []
        assert matching(engine, ['hello']) == [1, 2] and words_of(engine, 2) == latin
        with engine.begin() as connection:  # the trigger's words for the same text are the revision's
            connection.execute(text("INSERT INTO message (id, conversation_id, seq, sender_id, body, created_at, "
                                    "kind) VALUES (3, 1, 3, 1, '我们你好吗 Hello', CURRENT_TIMESTAMP, 'text')"))
        assert words_of(engine, 3) == words_of(engine, 1)
        with engine.begin() as connection:
            connection.execute(text('DELETE FROM message WHERE id = 3'))

        downgrade(engine, '0008')
        assert matching(engine, ['我们你好吗']) == [1] and matching(engine, ['你', '好']) == []
        assert matching(engine, ['hello']) == [1, 2] and words_of(engine, 2) == latin
        if engine.dialect.name == 'postgresql':
            assert words_of(engine, 1) == "'hello' '我们你好吗'"
    finally:
        engine.dispose()


def revision_0009() -> ModuleType:
    path = next((SCRIPT_LOCATION / 'versions').glob('0009_*.py'))
    spec = importlib.util.spec_from_file_location('revision_0009', path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def matching(engine: Engine, phrase: list[str]) -> list[int]:
    """The ids of the messages the index finds ``phrase`` in, straight from the index."""
    with engine.connect() as connection:
        if engine.dialect.name == 'sqlite':
            query = 'SELECT rowid FROM message_search WHERE message_search MATCH :q ORDER BY rowid'
            value = '"' + ' '.join(phrase) + '"'
        else:
            query = ("SELECT message_id FROM message_search_pg WHERE words @@ to_tsquery('simple'::regconfig, :q) "
                     'ORDER BY message_id')
            value = ' <-> '.join(f"'{word}'" for word in phrase)
        return list(connection.execute(text(query), {'q': value}).scalars())


def words_of(engine: Engine, message_id: int) -> str | None:
    """PostgreSQL: a message's stored words; SQLite: None (FTS5 does not give back what it indexed)."""
    if engine.dialect.name != 'postgresql':
        return None
    with engine.connect() as connection:
        return connection.execute(text('SELECT words::text FROM message_search_pg WHERE message_id = :id'),
                                  {'id': message_id}).scalar_one()
