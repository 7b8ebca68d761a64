"""Deleting an account, on each backend: the password is required; the row stays anonymised, messages stay under
"Deleted account", friendships and requests end, and every group is left under the group rules."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from chatapp.errors import Invalid, NotFound
from chatapp.events import FriendshipChanged, MembershipChanged, SessionsEnded
from chatapp.schemas import UserPublic
from chatapp.services import accounts, blocking, conversations, deletion, friendships, groups, profiles
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import get_user
from chatapp.timeline import describe
from models import Message, User
from tests.factories import PASSWORD, make_group, make_user, open_chat, say

CLIENT = '203.0.113.7'


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    names = ('alice', 'bob', 'carol', 'dave', 'erin')
    return {name: make_user(services, name, display_name=name.title()) for name in names}


def test_a_wrong_password_deletes_nothing(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice = people['alice']
    with pytest.raises(Invalid) as refused:
        services.run_sync(deletion.delete_account, actor_id=alice.id, password='not it', client_key=CLIENT)
    assert refused.value.code == 'wrong_password'
    assert services.run_sync(get_user, user_id=alice.id)[0] is not None
    assert _login(services, 'alice', PASSWORD).id == alice.id


def test_the_account_is_anonymised_and_its_name_freed(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob = people['alice'], people['bob']
    services.run_sync(profiles.update_profile, actor_id=alice.id, display_name='Alice', about='hello')
    _, events = services.run_sync(deletion.delete_account, actor_id=alice.id, password=PASSWORD, client_key=CLIENT)
    assert events == [SessionsEnded(recipients=(alice.id,), user_id=alice.id, epoch=1)]
    assert services.run_sync(get_user, user_id=alice.id)[0] is None
    with pytest.raises(Invalid) as refused:  # the same answer as for a name nobody has
        _login(services, 'alice', PASSWORD)
    assert str(refused.value) == accounts.WRONG_CREDENTIALS
    with pytest.raises(Invalid):
        _login(services, deletion.deleted_username(alice.id), PASSWORD)
    with pytest.raises(NotFound):
        services.run_sync(profiles.found_card, actor_id=bob.id, username=deletion.deleted_username(alice.id))
    assert services.run_sync(friendships.search_people, actor_id=bob.id, query='deleted')[0].results == []
    with pytest.raises(NotFound):
        services.run_sync(friendships.send_request, actor_id=bob.id, target_id=alice.id)

    again = make_user(services, 'alice')  # the name is free for someone new, who is someone else
    assert again.id != alice.id
    with pytest.raises(Invalid):
        _login(services, 'alice', 'not the new one')


def test_friendships_and_requests_end_and_messages_stay(services: ServiceRunner,
                                                        people: dict[str, UserPublic]) -> None:
    alice, bob, carol, dave = people['alice'], people['bob'], people['carol'], people['dave']
    direct = open_chat(services, alice, bob)
    say(services, alice, direct, 'hi bob')
    services.run_sync(friendships.send_request, actor_id=alice.id, target_id=carol.id)
    services.run_sync(friendships.send_request, actor_id=dave.id, target_id=alice.id)
    services.run_sync(blocking.block, actor_id=people['erin'].id, user_id=alice.id)
    team = make_group(services, bob, [carol]).conversation_id
    services.run_sync(groups.add_members, actor_id=bob.id, conversation_id=team, user_ids=[alice.id])
    say(services, alice, team, 'from alice')

    _, events = services.run_sync(deletion.delete_account, actor_id=alice.id, password=PASSWORD, client_key=CLIENT)

    ended = {event.user_ids for event in events if isinstance(event, FriendshipChanged)}
    assert ended == {tuple(sorted(pair)) for pair in ((alice.id, bob.id), (alice.id, carol.id), (alice.id, dave.id))}
    assert all(e.status == 'removed' and set(e.recipients) == set(e.user_ids)
               for e in events if isinstance(e, FriendshipChanged))
    for other in (bob, carol, dave):
        overview = services.run_sync(friendships.overview, actor_id=other.id)[0]
        assert alice.id not in {p.id for p in (*overview.friends, *overview.incoming, *overview.outgoing)}
    assert services.run_sync(blocking.blocked_list, actor_id=people['erin'].id)[0] == []  # blocks go too

    info = services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=team)[0]
    assert alice.id not in {m.user.id for m in info.members}
    said = [m for m in info.messages if m.kind == 'text']
    assert [(m.sender_id, m.body) for m in said][-1] == (alice.id, 'from alice')  # kept
    assert describe(info.messages[-1], bob.id) == 'Deleted account left'
    with pytest.raises(NotFound):  # the direct conversation closed with the friendship; its messages stay stored
        services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=direct)
    with Session(services.engine) as session:
        kept = session.exec(select(Message.body).where(Message.sender_id == alice.id, Message.kind == 'text'))
        assert sorted(kept) == ['from alice', 'hi bob']
        row = session.get_one(User, alice.id)
        assert (row.display_name, row.about, row.password_hash, row.deleted_at is not None) == (
            'Deleted account', '', deletion.UNUSABLE_HASH, True)


def test_groups_are_left_under_the_group_rules(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob, carol = people['alice'], people['bob'], people['carol']
    shared = make_group(services, alice, [bob, carol], title='Shared').conversation_id  # alice the only admin
    alone = make_group(services, alice, [bob], befriend=False, title='Alone').conversation_id
    services.run_sync(groups.leave_group, actor_id=bob.id, conversation_id=alone)  # alice is its last member

    _, events = services.run_sync(deletion.delete_account, actor_id=alice.id, password=PASSWORD, client_key=CLIENT)

    changes = [(e.conversation_id, e.change) for e in events if isinstance(e, MembershipChanged)]
    assert changes == [(shared, 'left'), (shared, 'admin'), (alone, 'deleted')]
    info = services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=shared)[0]
    assert {m.user.username: m.role for m in info.members} == {'bob': 'admin', 'carol': 'member'}
    assert describe(info.messages[-1], carol.id) == 'Deleted account left; Bob is now an admin'
    with pytest.raises(NotFound):
        services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=alone)


def _login(services: ServiceRunner, username: str, password: str) -> UserPublic:
    return services.run_sync(accounts.authenticate, username=username, password=password, client_key='x')[0]
