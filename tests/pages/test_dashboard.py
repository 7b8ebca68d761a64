"""The dashboard: requests both ways, refusals, search paging, unfriending, all reaching the other side live."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import friendships
from tests.factories import make_friends, make_user
from tests.pages.helpers import log_in


async def _dashboard(user: User, name: str) -> None:
    await log_in(user, name)
    await user.should_see('Find people', retries=30)


async def _search(user: User, text: str) -> None:
    user.find(marker='search-input').clear().type(text)
    user.find(marker='search-submit').click()


async def test_mutual_requests_make_friends(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat.run.run_sync(friendships.send_request, actor_id=alice_data.id, target_id=bob_data.id)
    bob = user
    await _dashboard(bob, 'bob')
    await bob.should_see(marker='accept-alice')
    await _search(bob, 'alice')
    await bob.should_see(marker='search-accept-alice')
    bob.find(marker='search-accept-alice').click()  # answering from the search result
    await bob.should_see(marker='chat-alice')
    await bob.should_see(marker='search-friends-alice')
    await bob.should_not_see(marker='accept-alice')


async def test_decline_and_cancel_reach_the_other_side(user: User, create_user: Callable[[], User],
                                                       chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat.run.run_sync(friendships.send_request, actor_id=alice_data.id, target_id=bob_data.id)
    alice, bob = user, create_user()
    await _dashboard(alice, 'alice')
    await _dashboard(bob, 'bob')
    await alice.should_see(marker='cancel-bob')
    await bob.should_see(marker='decline-alice')
    bob.find(marker='decline-alice').click()
    await alice.should_not_see(marker='cancel-bob')
    await alice.should_see('No pending requests.')

    await _search(alice, 'bob')
    await alice.should_see(marker='search-add-bob')
    alice.find(marker='search-add-bob').click()
    await bob.should_see(marker='accept-alice')
    alice.find(marker='cancel-bob').click()
    await bob.should_not_see(marker='accept-alice')
    await alice.should_see(marker='search-add-bob')  # the open search result followed too


async def test_another_browser_of_mine_follows_my_request(user: User, create_user: Callable[[], User],
                                                         chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    make_user(chat.run, 'bob')
    first_tab = user
    await _dashboard(first_tab, 'alice')
    await _search(first_tab, 'bob')
    await first_tab.should_see(marker='search-add-bob')
    second_tab = create_user()  # another browser of alice's, showing the same search
    await _dashboard(second_tab, 'alice')
    await _search(second_tab, 'bob')
    await second_tab.should_see(marker='search-add-bob')
    first_tab.find(marker='search-add-bob').click()
    await first_tab.should_see(marker='search-requested-bob')
    await second_tab.should_see(marker='search-requested-bob')  # no stale "Add friend" to press twice
    await second_tab.should_see(marker='cancel-bob')


async def test_search_pages_and_never_lists_me(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'searcher')
    for n in range(25):
        make_user(chat.run, f'match{n:02d}', display_name=f'Match {n}')
    await _dashboard(user, 'searcher')
    await _search(user, 'MATCH')
    await user.should_see(marker='person-match00')
    await user.should_not_see(marker='person-match20')
    await user.should_see(marker='search-next')
    user.find(marker='search-next').click()
    await user.should_see(marker='person-match24')
    await user.should_not_see(marker='person-match00')
    await _search(user, 'searcher')
    await user.should_see('Nobody matches "searcher".')
    await _search(user, '   ')
    await user.should_see('Type part of a name to search.')


async def test_unfriend_asks_first_and_updates_both(user: User, create_user: Callable[[], User],
                                                    chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await _dashboard(alice, 'alice')
    await _dashboard(bob, 'bob')
    await bob.should_see(marker='chat-alice')
    await alice.should_see(marker='unfriend-bob')
    alice.find(marker='unfriend-bob').click()
    await alice.should_see(marker='confirm-unfriend')
    alice.find(marker='confirm-unfriend').click()
    await alice.should_not_see(marker='chat-bob')
    await bob.should_not_see(marker='chat-alice')
    await bob.should_see('No friends yet: search for people to add them.')
