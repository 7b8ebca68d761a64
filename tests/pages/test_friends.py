"""The friends page (/friends): requests both ways, refusals, search paging, unfriending, all live."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from nicegui import background_tasks
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.events import Event, FriendshipChanged
from chatapp.services import friendships
from tests.factories import make_friends, make_user
from tests.pages.helpers import log_in, settle


async def _friends_page(user: User, name: str) -> None:
    """Log in to /friends and wait until the page has gone quiet (see tests.pages.settle)."""
    await log_in(user, name, next_path='/friends')
    await user.should_see('Find people', retries=30)
    await settle(user)


async def _search(user: User, text: str) -> None:
    user.find(marker='search-input').clear().type(text)
    user.find(marker='search-submit').click()


async def test_mutual_requests_make_friends(user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat.run.run_sync(friendships.send_request, actor_id=alice_data.id, target_id=bob_data.id)
    bob = user
    await _friends_page(bob, 'bob')
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
    await _friends_page(alice, 'alice')
    await _friends_page(bob, 'bob')
    await alice.should_see(marker='cancel-bob')
    await bob.should_see(marker='decline-alice')
    bob.find(marker='decline-alice').click()
    await alice.should_not_see(marker='cancel-bob')
    await alice.should_see('No pending requests.')

    await _search(alice, 'bob')
    await alice.should_see(marker='search-add-bob')
    alice.find(marker='search-add-bob').click()
    await bob.should_see(marker='accept-alice')
    await alice.should_see(marker='search-requested-bob')  # else the "Add friend" below would be the old one
    alice.find(marker='cancel-bob').click()
    await bob.should_not_see(marker='accept-alice')
    await alice.should_see(marker='search-add-bob')  # the open search result followed too


async def test_another_browser_of_mine_follows_my_request(user: User, create_user: Callable[[], User],
                                                         chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    make_user(chat.run, 'bob')
    first_tab = user
    await _friends_page(first_tab, 'alice')
    await _search(first_tab, 'bob')
    await first_tab.should_see(marker='search-add-bob')
    second_tab = create_user()  # another browser of alice's, showing the same search
    await _friends_page(second_tab, 'alice')
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
    await _friends_page(user, 'searcher')
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
    await _friends_page(alice, 'alice')
    await _friends_page(bob, 'bob')
    await bob.should_see(marker='chat-alice')
    await alice.should_see(marker='unfriend-bob')
    alice.find(marker='unfriend-bob').click()
    await alice.should_see(marker='confirm-unfriend')
    alice.find(marker='confirm-unfriend').click()
    await alice.should_not_see(marker='chat-bob')
    await bob.should_not_see(marker='chat-alice')
    await bob.should_see('No friends yet: search for people to add them.')


async def test_a_burst_of_changes_from_several_people_leaves_the_lists_exactly_right(user: User, chat: ChatApp
                                                                                     ) -> None:
    """Each change's event re-reads the lists; whatever order those reads run in, the last word must be the truth."""
    bob_data = make_user(chat.run, 'bob')
    people = {name: make_user(chat.run, name, display_name=f'Person {name}')
              for name in ('alice', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank')}
    make_friends(chat.run, people['hank'], bob_data)
    bob, ids = user, {name: person.id for name, person in people.items()}
    await _friends_page(bob, 'bob')
    await _search(bob, 'person')
    await bob.should_see(marker='search-friends-hank')

    async def by(actor: str | int, fn: Callable[..., object], **kwargs: int) -> None:
        await chat.run(fn, actor_id=ids[actor] if isinstance(actor, str) else actor, **kwargs)

    me = bob_data.id
    await asyncio.gather(  # each person's steps in order, the people at the same time; bob acts from another tab
        by('alice', friendships.send_request, target_id=me),
        _steps(by('carol', friendships.send_request, target_id=me),
               by(me, friendships.accept_request, requester_id=ids['carol'])),
        _steps(by('dave', friendships.send_request, target_id=me),
               by('dave', friendships.cancel_request, target_id=me),
               by('dave', friendships.send_request, target_id=me)),
        _steps(by(me, friendships.send_request, target_id=ids['erin']),
               by('erin', friendships.accept_request, requester_id=me),
               by('erin', friendships.unfriend, friend_id=me)),
        by(me, friendships.send_request, target_id=ids['frank']),
        _steps(by('gina', friendships.send_request, target_id=me),
               by(me, friendships.decline_request, requester_id=ids['gina'])),
        _steps(by(me, friendships.unfriend, friend_id=ids['hank']),
               by('hank', friendships.send_request, target_id=me),
               by(me, friendships.accept_request, requester_id=ids['hank'])),
    )
    await _all_delivered(chat)
    await _reloads_finished()
    assert _shown(bob) == {
        'friend-carol', 'friend-hank', 'incoming-alice', 'incoming-dave', 'outgoing-frank',
        'search-friends-carol', 'search-friends-hank', 'search-accept-alice', 'search-accept-dave',
        'search-requested-frank', 'search-add-erin', 'search-add-gina',
    }


async def _steps(*steps: Awaitable[None]) -> None:
    for step in steps:
        await step


async def _all_delivered(chat: ChatApp) -> None:
    """Wait until the hub has handed every event published so far to the views: the in-process broker delivers in
    order, so an event addressed to nobody, published now, arrives after them."""
    last = FriendshipChanged(recipients=(), user_ids=(0, 0), status='removed')
    arrived = asyncio.Event()

    async def watch(event: Event) -> None:
        if event is last:
            arrived.set()

    chat.broker.subscribe(watch)  # after the hub's own subscription, so the hub has dispatched it first
    await chat.broker.publish(last)
    await asyncio.wait_for(arrived.wait(), 10)


async def _reloads_finished() -> None:
    while reloads := [task for task in background_tasks.running_tasks if task.get_name() == 'friends reload']:
        await asyncio.wait(reloads)


SHOWN = re.compile(r'(friend|incoming|outgoing|search-(add|accept|requested|friends))-')


def _shown(user: User) -> set[str]:
    """The people in the lists and search results, as their markers."""
    return {marker for element in user.client.elements.values() for marker in element._markers
            if SHOWN.match(marker)}
