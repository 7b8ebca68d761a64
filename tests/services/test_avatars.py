"""Profile pictures on each backend: setting and removing one, which pictures are still shown (what the avatar store
may remove), and the picture travelling with a person wherever services show them."""

from __future__ import annotations

import pytest

from chatapp.errors import NotFound
from chatapp.events import ProfileChanged
from chatapp.schemas import UserPublic
from chatapp.services import conversations, deletion, friendships, inbox, profiles
from chatapp.services.tx import ServiceRunner
from tests.factories import PASSWORD, make_friends, make_group, make_user, open_chat, say

PICTURE, OTHER = 'a' * 64, 'b' * 64


def test_a_picture_is_set_replaced_and_removed_and_each_change_names_the_one_it_replaced(
        services: ServiceRunner, alice: UserPublic) -> None:
    previous, events = services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=PICTURE)
    assert previous is None and [type(event) for event in events] == [ProfileChanged]  # see test_profile_events
    assert services.run_sync(profiles.my_profile, actor_id=alice.id)[0].user.avatar == PICTURE
    assert services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=PICTURE)[0] is None  # same: keep it
    assert services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=OTHER)[0] == PICTURE
    assert services.run_sync(profiles.remove_avatar, actor_id=alice.id)[0] == OTHER
    assert services.run_sync(profiles.my_profile, actor_id=alice.id)[0].user.avatar is None
    assert services.run_sync(profiles.remove_avatar, actor_id=alice.id)[0] is None


@pytest.mark.parametrize('bad', ['', 'A' * 64, 'a' * 63, 'a' * 65, '../' + 'a' * 61, 'g' * 64])
def test_only_a_hash_the_avatar_store_made_is_taken(services: ServiceRunner, alice: UserPublic, bad: str) -> None:
    with pytest.raises(ValueError, match='not an avatar'):
        services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=bad)
    assert services.run_sync(profiles.my_profile, actor_id=alice.id)[0].user.avatar is None


def test_a_picture_is_in_use_while_a_live_account_shows_it(services: ServiceRunner, alice: UserPublic,
                                                         bob: UserPublic) -> None:
    services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=PICTURE)
    services.run_sync(profiles.set_avatar, actor_id=bob.id, avatar=PICTURE)  # the same picture, stored once
    assert services.run_sync(profiles.avatars_in_use, hashes=[PICTURE, OTHER])[0] == {PICTURE}
    services.run_sync(profiles.remove_avatar, actor_id=alice.id)
    assert services.run_sync(profiles.avatars_in_use, hashes=[PICTURE])[0] == {PICTURE}  # bob still shows it
    services.run_sync(deletion.delete_account, actor_id=bob.id, password=PASSWORD, client_key='t')
    assert services.run_sync(profiles.avatars_in_use, hashes=[PICTURE])[0] == set()
    assert services.run_sync(profiles.avatars_in_use, hashes=[])[0] == set()


def test_a_deleted_account_cannot_set_a_picture(services: ServiceRunner, alice: UserPublic) -> None:
    assert services.run_sync(profiles.avatar_allowance, actor_id=alice.id)[0] is None
    services.run_sync(deletion.delete_account, actor_id=alice.id, password=PASSWORD, client_key='t')
    with pytest.raises(NotFound):
        services.run_sync(profiles.avatar_allowance, actor_id=alice.id)  # the route asks before reading the upload
    with pytest.raises(NotFound):
        services.run_sync(profiles.set_avatar, actor_id=alice.id, avatar=PICTURE)


def test_the_picture_travels_with_the_person_wherever_services_show_them(services: ServiceRunner,
                                                                         alice: UserPublic, bob: UserPublic,
                                                                         carol: UserPublic) -> None:
    services.run_sync(profiles.set_avatar, actor_id=bob.id, avatar=PICTURE)
    chat_id = open_chat(services, alice, bob)
    say(services, bob, chat_id)
    make_friends(services, alice, carol)
    group = make_group(services, alice, [bob, carol], befriend=False).conversation_id

    rows = services.run_sync(inbox.inbox_page, actor_id=alice.id)[0].rows
    direct = next(row for row in rows if row.conversation_id == chat_id)
    assert direct.peer is not None and direct.peer.avatar == PICTURE
    one = services.run_sync(inbox.inbox_row, actor_id=alice.id, conversation_id=chat_id)[0]
    assert one.peer is not None and one.peer.avatar == PICTURE
    info = services.run_sync(conversations.open_conversation, actor_id=alice.id, conversation_id=group)[0]
    assert {m.user.username: m.user.avatar for m in info.members} == {'alice': None, 'bob': PICTURE, 'carol': None}
    friends = services.run_sync(friendships.overview, actor_id=alice.id)[0].friends
    assert {f.username: f.avatar for f in friends} == {'bob': PICTURE, 'carol': None}
    found = services.run_sync(friendships.search_people, actor_id=carol.id, query='bob')[0].results
    assert [(hit.user.username, hit.user.avatar) for hit in found] == [('bob', PICTURE)]
    card = services.run_sync(profiles.profile_card, actor_id=carol.id, user_id=bob.id)[0]
    assert card.user.avatar == PICTURE


def test_an_account_made_before_pictures_shows_none(services: ServiceRunner) -> None:
    dave, erin = make_user(services, 'dave'), make_user(services, 'erin')
    make_friends(services, dave, erin)
    assert services.run_sync(friendships.overview, actor_id=dave.id)[0].friends[0].avatar is None
