"""Message search on each backend: what matches and in which order, pages, and above all access: never a message of
a conversation I cannot read now, nor one from before I joined; hostile queries are words, never syntax."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from chatapp.errors import Invalid
from chatapp.schemas import MessageSearchPage, UserPublic
from chatapp.services import friendships, groups, search
from chatapp.services.search_text import MAX_QUERY_LENGTH
from chatapp.services.tx import ServiceRunner
from tests.factories import make_friends, make_group, make_user, open_chat, say


@pytest.fixture
def alice(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'alice', display_name='Alice')


@pytest.fixture
def bob(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'bob', display_name='Bob')


@pytest.fixture
def carol(services: ServiceRunner) -> UserPublic:
    return make_user(services, 'carol')


def find(services: ServiceRunner, who: UserPublic, query: str, page: int = 0) -> MessageSearchPage:
    return services.run_sync(search.search_messages, actor_id=who.id, query=query, page=page)[0]


def texts(found: MessageSearchPage) -> list[str]:
    return [''.join(part.text for part in hit.snippet) for hit in found.hits]


def test_finds_whole_words_in_any_case_best_first_and_says_where(services: ServiceRunner, alice: UserPublic,
                                                                  bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'the train leaves at nine, and the next train at ten')
    say(services, alice, chat, 'Train tickets are booked')
    say(services, bob, chat, 'trainers are not trains')
    say(services, bob, chat, 'nothing to see here')

    found = find(services, alice, 'TRAIN')

    assert texts(found) == ['Train tickets are booked', 'the train leaves at nine, and the next train at ten']
    first = found.hits[0]
    assert (first.conversation_title, first.path, first.sender_label, first.seq) == ('Bob', '/chat/bob', 'You', 2)
    assert [(part.text, part.match) for part in first.snippet][:2] == [('Train', True), (' tickets are booked', False)]
    assert find(services, bob, 'train').hits[0].sender_label == 'Alice'
    assert texts(find(services, alice, 'train ten')) == ['the train leaves at nine, and the next train at ten']


def test_ties_are_newest_first_and_pages_follow(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    for n in range(search.PAGE_SIZE + 5):
        say(services, bob, chat, f'lunch {n:02d}')

    first, second = find(services, alice, 'lunch'), find(services, alice, 'lunch', page=1)

    assert texts(first) == [f'lunch {n:02d}' for n in range(24, 4, -1)] and first.has_more
    assert texts(second) == [f'lunch {n:02d}' for n in range(4, -1, -1)] and not second.has_more
    assert not first.limited
    assert find(services, alice, 'lunch', page=99).hits == []


def test_never_before_i_joined_nor_after_i_left(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                               carol: UserPublic) -> None:
    group = make_group(services, alice, [bob], title='Trip')
    say(services, alice, group.conversation_id, 'secret plan before carol')
    make_friends(services, alice, carol)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=group.conversation_id,
                      user_ids=[carol.id])
    say(services, bob, group.conversation_id, 'public plan after carol')

    assert texts(find(services, carol, 'plan')) == ['public plan after carol']
    assert find(services, carol, 'plan').hits[0].path == f'/group/{group.conversation_id}'
    assert len(find(services, bob, 'plan').hits) == 2

    services.run_sync(groups.remove_member, actor_id=alice.id, conversation_id=group.conversation_id,
                      user_id=carol.id)
    assert find(services, carol, 'plan').hits == []
    services.run_sync(groups.leave_group, actor_id=bob.id, conversation_id=group.conversation_id)
    assert find(services, bob, 'plan').hits == []


def test_unfriending_hides_the_direct_chat_and_strangers_see_nothing(services: ServiceRunner, alice: UserPublic,
                                                                    bob: UserPublic, carol: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'meet at the bridge')
    make_friends(services, alice, carol)  # a friend of both is no member of their chat
    make_friends(services, bob, carol)

    assert len(find(services, alice, 'bridge').hits) == 1
    assert find(services, carol, 'bridge').hits == []
    services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)
    assert find(services, alice, 'bridge').hits == []
    assert find(services, bob, 'bridge').hits == []


def test_timeline_events_are_not_found(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    make_group(services, alice, [bob], title='Alice and Bob')  # its events' JSON names both
    assert find(services, alice, 'alice').hits == []
    assert find(services, alice, 'added').hits == []


def test_a_deleted_message_is_not_found(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    kept = say(services, bob, chat, 'orange one')
    gone = say(services, bob, chat, 'orange two')
    with services.engine.begin() as connection:  # as the delete service stores it: no text, a delete time
        connection.execute(text("UPDATE message SET body = '', deleted_at = created_at WHERE id = :id"),
                           {'id': gone.id})
    assert [hit.message_id for hit in find(services, alice, 'orange').hits] == [kept.id]
    with services.engine.begin() as connection:  # a row deleted outright leaves the index too (SQLite's trigger)
        connection.execute(text('DELETE FROM message WHERE id = :id'), {'id': kept.id})
    assert find(services, alice, 'orange').hits == []


@pytest.mark.parametrize(('query', 'found'), [
    ('"orange', ['an orange']), ('orange*', ['an orange']), ('-orange', ['an orange']), ('(orange', ['an orange']),
    ('^orange', ['an orange']), ('{body}: orange', []), ('body:orange', []), ('orange OR pear', []),
    ('orange AND', []), ('NEAR(orange pear, 2)', []), ("orange'; DROP TABLE message; --", []),
    ('OR NEAR', ['apples OR pears NEAR here']), ('"NEAR" AND', []), ('pears" OR "orange', [])])
def test_hostile_queries_are_only_words(services: ServiceRunner, alice: UserPublic, bob: UserPublic, query: str,
                                        found: list[str]) -> None:
    """Every word must be in the message: an operator is a word like any other, and punctuation separates words."""
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'an orange')
    say(services, bob, chat, 'apples OR pears NEAR here')
    assert texts(find(services, alice, query)) == found
    assert len(find(services, alice, 'orange').hits) == 1  # the table is still there


def test_html_in_a_message_comes_back_as_text(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, '<script>alert(1)</script> <b>bold</b> café')
    found = find(services, alice, 'bold café')
    assert texts(found) == ['<script>alert(1)</script> <b>bold</b> café']
    assert [part.text for part in found.hits[0].snippet if part.match] == ['bold', 'café']


@pytest.mark.parametrize('query', ['alert', 'script', 'div', 'example', 'com', 'x org', 'and d'])
def test_punctuation_only_separates_words(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                          query: str) -> None:
    """As the browser shows it: text that looks like HTML or a web address keeps every word on both backends
    (PostgreSQL's parser took "<b and c>" for a tag and dropped it, and kept "example.com" as one word)."""
    chat = open_chat(services, alice, bob)
    body = 'if a<b and c>d then <script> alert(1) </div> at example.com or me@x.org'
    say(services, bob, chat, body)

    assert texts(find(services, alice, query)) == [body]


def test_unicode_and_emoji(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    say(services, bob, chat, 'Привет 🎉 мир')
    say(services, bob, chat, 'नमस्ते दोस्त')
    assert texts(find(services, alice, 'привет')) == ['Привет 🎉 мир']
    assert texts(find(services, alice, '🎉 мир')) == ['Привет 🎉 мир']
    assert texts(find(services, alice, 'नमस्ते')) == ['नमस्ते दोस्त']


@pytest.mark.parametrize(('query', 'code'), [('', 'blank'), ('   ', 'blank'), ('a', 'too_short'),
                                             ('🎉 !!', 'no_words'), ('"*"', 'no_words'),
                                             ('x' * (MAX_QUERY_LENGTH + 1), 'too_long'), ('nul\x00', 'bad_characters'),
                                             ('half \ud83d', 'bad_characters'),
                                             (' '.join(f'w{n}' for n in range(9)), 'too_many_words')])
def test_bad_queries_are_refused_with_a_reason(services: ServiceRunner, alice: UserPublic, query: str,
                                               code: str) -> None:
    with pytest.raises(Invalid) as refused:
        find(services, alice, query)
    assert refused.value.code == code and str(refused.value)


def test_marked_as_a_limited_search(services: ServiceRunner) -> None:
    assert getattr(search.search_messages, '__chatapp_limit__', None) == 'searches'
