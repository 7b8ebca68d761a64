"""Profiles on each backend: editing my name and "about" line, and who may open whose card."""

from __future__ import annotations

import pytest

from chatapp.errors import Invalid, NotFound
from chatapp.events import ProfileChanged
from chatapp.schemas import Profile, Relation, UserPublic
from chatapp.services import friendships, profiles
from chatapp.services.tx import ServiceRunner
from models.user import ABOUT_MAX
from tests.factories import make_friends, make_group, make_user


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    return {name: make_user(services, name) for name in ('alice', 'bob', 'carol', 'dave', 'erin')}


def test_my_name_and_about_line_are_stored_cleaned(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice = people['alice']
    card, events = services.run_sync(profiles.update_profile, actor_id=alice.id, display_name='  Alice A.  ',
                                     about=' Cafe\u0301 lover ')
    assert (card.user.display_name, card.about, card.me) == ('Alice A.', 'Caf\u00e9 lover', True)
    assert [type(event) for event in events] == [ProfileChanged]  # the new name (see test_profile_events)
    assert services.run_sync(profiles.my_profile, actor_id=alice.id)[0] == card
    card, _ = services.run_sync(profiles.update_profile, actor_id=alice.id, display_name='', about='x' * ABOUT_MAX)
    assert (card.user.label, card.about) == ('alice', 'x' * ABOUT_MAX)


@pytest.mark.parametrize(('name', 'about', 'code'), [
    ('a' * 65, '', 'name_too_long'),
    ('Ali\nce', '', 'name_bad_character'),
    ('Alice', 'x' * (ABOUT_MAX + 1), 'about_too_long'),
    ('Alice', 'one\nline', 'about_bad_character'),
    ('Alice', 'tab\there', 'about_bad_character'),
    ('Alice', 'evil \u202e txet', 'about_bad_character'),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(services: ServiceRunner,
                                                              people: dict[str, UserPublic], name: str, about: str,
                                                              code: str) -> None:
    alice = people['alice']
    services.run_sync(profiles.update_profile, actor_id=alice.id, display_name='Before', about='before')
    with pytest.raises(Invalid) as refused:
        services.run_sync(profiles.update_profile, actor_id=alice.id, display_name=name, about=about)
    assert refused.value.code == code
    card = services.run_sync(profiles.my_profile, actor_id=alice.id)[0]
    assert (card.user.display_name, card.about) == ('Before', 'before')


def test_cards_by_id_only_for_related_people(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob, carol, dave, erin = (people[name] for name in ('alice', 'bob', 'carol', 'dave', 'erin'))
    services.run_sync(profiles.update_profile, actor_id=bob.id, display_name='Bob', about='hi from bob')
    make_friends(services, alice, bob)  # friends
    make_group(services, bob, [carol])  # alice and carol share nothing; carol and bob are friends and in a group
    services.run_sync(friendships.send_request, actor_id=dave.id, target_id=alice.id)  # pending
    card = _card(services, alice, bob)
    assert (card.user.label, card.about, card.relation, card.me) == ('Bob', 'hi from bob', Relation.FRIENDS, False)
    assert _card(services, alice, dave).relation == Relation.INCOMING
    assert _card(services, dave, alice).relation == Relation.REQUESTED
    assert _card(services, alice, alice).me
    for stranger in (carol, erin):
        with pytest.raises(NotFound):
            _card(services, alice, stranger)
    with pytest.raises(NotFound):
        services.run_sync(profiles.profile_card, actor_id=alice.id, user_id=erin.id + 1000)


def test_fellow_group_members_see_each_others_cards(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, bob, carol = people['alice'], people['bob'], people['carol']
    make_group(services, alice, [bob, carol])  # bob and carol are not friends, only fellow members
    assert _card(services, bob, carol).relation == Relation.NONE
    assert _card(services, carol, bob).user.username == 'bob'


def test_a_search_result_opens_by_exact_username(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    alice, erin = people['alice'], people['erin']
    services.run_sync(profiles.update_profile, actor_id=erin.id, display_name='', about='about erin')
    card, _ = services.run_sync(profiles.found_card, actor_id=alice.id, username='ERIN ')
    assert (card.user.id, card.about, card.relation) == (erin.id, 'about erin', Relation.NONE)
    for name in ('eri', 'nobody', 'e\x00rin', 'x' * 100):
        with pytest.raises(NotFound):
            services.run_sync(profiles.found_card, actor_id=alice.id, username=name)


def _card(services: ServiceRunner, actor: UserPublic, other: UserPublic) -> Profile:
    return services.run_sync(profiles.profile_card, actor_id=actor.id, user_id=other.id)[0]
