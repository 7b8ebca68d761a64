"""The ephemeral path in one process (in-process broker and store) on each database backend: who hears presence
and typing, the grace that keeps a reload from flickering, the last seen time, and the typing throttle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.ephemeral import TYPING_INTERVAL, Ephemeral, TypingThrottle
from chatapp.events import PresenceChanged
from chatapp.schemas import UserPublic
from chatapp.services import groups, privacy
from chatapp.settings import Settings
from tests.conftest import make_settings
from tests.ephemeral_support import Heard, Process
from tests.factories import make_friends, make_group, make_user, open_chat

GRACE = 0.3


class Clock:
    """A clock the test moves by hand, for the throttle's 3 s."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, presence_grace_seconds=GRACE)


@pytest.fixture
async def process(settings: Settings) -> AsyncIterator[Process]:
    broker = MemoryBroker()
    run = make_runner(settings, broker)
    heard = Heard()
    broker.subscribe(heard)
    await broker.start()
    ephemeral = Ephemeral(settings, broker, run)
    await ephemeral.start()
    yield Process(broker, run, ephemeral, heard)
    await Process(broker, run, ephemeral, heard).stop()


def people(process: Process, *names: str) -> list[UserPublic]:
    return [make_user(process.run, name, display_name=name.title()) for name in names]


async def test_presence_reaches_friends_and_fellow_group_members_only(process: Process) -> None:
    alice, bob, carol, dave = people(process, 'alice', 'bob', 'carol', 'dave')
    make_friends(process.run, alice, bob)
    make_friends(process.run, bob, carol)
    make_group(process.run, bob, [alice, carol], befriend=False)  # alice and carol share a group, are not friends
    make_friends(process.run, bob, dave)  # dave is bob's friend only: a stranger to alice

    process.open_page('tab', alice.id)
    await process.settle()
    assert process.heard.presence() == [PresenceChanged(recipients=(bob.id, carol.id), user_id=alice.id, online=True)]

    process.close('tab')
    await process.heard.wait_until(lambda: len(process.heard.presence()) == 2)
    offline = process.heard.presence()[1]
    assert (offline.recipients, offline.user_id, offline.online) == ((bob.id, carol.id), alice.id, False)
    assert offline.last_seen_at is not None
    seen = await process.ephemeral.presence_of(actor_id=carol.id, user_ids=[alice.id, bob.id, dave.id])
    assert set(seen) == {alice.id, bob.id}  # dave: no relation to carol
    assert (seen[alice.id].online, seen[alice.id].last_seen_at) == (False, offline.last_seen_at)


async def test_presence_of_says_who_is_online_to_whom_it_may(process: Process) -> None:
    alice, bob, carol = people(process, 'alice', 'bob', 'carol')
    make_friends(process.run, alice, bob)
    process.open_page('bob-tab', bob.id)
    process.open_page('carol-tab', carol.id)
    await process.settle()

    seen = await process.ephemeral.presence_of(actor_id=alice.id, user_ids=[alice.id, bob.id, carol.id, 999])
    assert list(seen) == [bob.id]  # not herself, not the stranger carol, not a user who does not exist
    assert (seen[bob.id].online, seen[bob.id].last_seen_at) == (True, None)
    assert await process.ephemeral.presence_of(actor_id=carol.id, user_ids=[alice.id, bob.id]) == {}


@pytest.mark.parametrize('hider', ['subject', 'viewer'])
async def test_hiding_presence_hides_it_both_ways(process: Process, hider: str) -> None:
    alice, bob = people(process, 'alice', 'bob')
    make_friends(process.run, alice, bob)
    process.run.run_sync(privacy.set_privacy, actor_id=(alice if hider == 'subject' else bob).id, show_presence=False)

    process.open_page('alice-tab', alice.id)
    process.open_page('bob-tab', bob.id)
    await process.settle()
    assert process.heard.presence() == []  # neither hears of the other
    assert await process.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id]) == {}
    assert await process.ephemeral.presence_of(actor_id=alice.id, user_ids=[bob.id]) == {}


async def test_showing_presence_again_tells_friends_at_once(process: Process) -> None:
    alice, bob = people(process, 'alice', 'bob')
    make_friends(process.run, alice, bob)
    process.run.run_sync(privacy.set_privacy, actor_id=alice.id, show_presence=False)
    process.open_page('alice-tab', alice.id)
    await process.settle()

    process.run.run_sync(privacy.set_privacy, actor_id=alice.id, show_presence=True)
    await process.ephemeral.privacy_changed(actor_id=alice.id)
    process.run.run_sync(privacy.set_privacy, actor_id=alice.id, show_presence=False)
    await process.ephemeral.privacy_changed(actor_id=alice.id)
    await process.drain()
    assert process.heard.presence() == [
        PresenceChanged(recipients=(bob.id,), user_id=alice.id, online=True),
        PresenceChanged(recipients=(bob.id,), user_id=alice.id, online=False),  # hidden: offline, no last seen
    ]


async def test_a_reload_within_the_grace_does_not_flicker(process: Process) -> None:
    alice, bob = people(process, 'alice', 'bob')
    make_friends(process.run, alice, bob)
    process.open_page('first', alice.id)
    await process.settle()

    process.disconnect('first')  # the reload: the old page's socket goes ...
    process.open_page('second', alice.id, connected=False)  # ... the new page is built ...
    await asyncio.sleep(GRACE / 3)
    process.ephemeral.presence.page_connected('second')  # ... and its socket connects
    process.close('first')
    await asyncio.sleep(GRACE * 2)
    await process.settle()
    assert [event.online for event in process.heard.presence()] == [True]
    assert (await process.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id]))[alice.id].online


async def test_two_pages_count_until_the_last_one_closes(process: Process) -> None:
    alice, bob = people(process, 'alice', 'bob')
    make_friends(process.run, alice, bob)
    process.open_page('one', alice.id)
    process.open_page('two', alice.id)
    process.ephemeral.presence.page_connected('two')  # a second connect of one page counts once
    process.close('one')
    await asyncio.sleep(GRACE * 2)
    await process.settle()
    assert [event.online for event in process.heard.presence()] == [True]

    process.disconnect('two')  # no reconnect within the grace: offline
    await process.heard.wait_until(lambda: len(process.heard.presence()) == 2)
    assert [event.online for event in process.heard.presence()] == [True, False]
    seen = await process.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id])
    assert seen[alice.id].online is False and seen[alice.id].last_seen_at is not None


async def test_a_page_that_never_connected_does_not_count(process: Process) -> None:
    alice, bob = people(process, 'alice', 'bob')
    make_friends(process.run, alice, bob)
    process.open_page('built', alice.id, connected=False)
    process.close('built')
    await asyncio.sleep(GRACE * 2)
    await process.settle()
    assert process.heard.presence() == []
    assert not (await process.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id]))[alice.id].online


async def test_typing_reaches_the_other_members_at_most_every_three_seconds(process: Process) -> None:
    alice, bob, carol = people(process, 'alice', 'bob', 'carol')
    group = make_group(process.run, alice, [bob, carol]).conversation_id
    clock = Clock()
    process.ephemeral.typing_throttle = TypingThrottle(clock=clock)
    typing = process.ephemeral.typing

    await typing(actor_id=bob.id, conversation_id=group, active=True)
    clock.now += TYPING_INTERVAL - 0.1
    await typing(actor_id=bob.id, conversation_id=group, active=True)  # too soon: waits for its turn...
    await typing(actor_id=bob.id, conversation_id=group, active=False)  # ...which a stop cancels
    await typing(actor_id=bob.id, conversation_id=group, active=False)  # already cleared: dropped
    await typing(actor_id=bob.id, conversation_id=group, active=True)  # still too soon, though cleared: waits
    clock.now += 0.1
    await typing(actor_id=bob.id, conversation_id=group, active=True)  # its turn: goes out, the waiting one with it
    await asyncio.sleep(0.3)
    await process.drain()
    assert [(event.recipients, event.user_id, event.name, event.active) for event in process.heard.typing()] == [
        ((alice.id, carol.id), bob.id, 'Bob', True),
        ((alice.id, carol.id), bob.id, 'Bob', False),
        ((alice.id, carol.id), bob.id, 'Bob', True),
    ]


async def test_typing_right_after_a_stop_goes_out_at_its_turn(process: Process) -> None:
    """A person who sends and at once types the next message was cleared on every screen by the message: their next
    signal must show, one interval late at most, not be dropped; a stop before its turn cancels it."""
    alice, bob = people(process, 'alice', 'bob')
    group = make_group(process.run, alice, [bob]).conversation_id
    process.ephemeral.typing_throttle = TypingThrottle(interval=0.3)
    typing = process.ephemeral.typing

    await typing(actor_id=bob.id, conversation_id=group, active=True)
    await typing(actor_id=bob.id, conversation_id=group, active=False)  # sent: the box emptied
    await typing(actor_id=bob.id, conversation_id=group, active=True)  # the next message, within the interval
    await asyncio.sleep(0.6)
    await typing(actor_id=bob.id, conversation_id=group, active=False)
    await asyncio.sleep(0.6)
    await typing(actor_id=bob.id, conversation_id=group, active=True)
    await typing(actor_id=bob.id, conversation_id=group, active=True)  # within the interval: waits...
    await typing(actor_id=bob.id, conversation_id=group, active=False)  # ...and the box empties before its turn
    await asyncio.sleep(0.6)
    await process.drain()
    assert [event.active for event in process.heard.typing()] == [True, False, True, False, True, False]


async def test_typing_without_access_reaches_no_one(process: Process) -> None:
    alice, bob, carol, dave = people(process, 'alice', 'bob', 'carol', 'dave')
    direct = open_chat(process.run, alice, bob)
    make_friends(process.run, alice, carol)
    group = make_group(process.run, alice, [bob, carol], befriend=False).conversation_id
    process.run.run_sync(groups.remove_member, actor_id=alice.id, conversation_id=group, user_id=carol.id)

    for actor, conversation in [(dave, direct), (carol, group), (dave, group), (alice, 999_999)]:
        await process.ephemeral.typing(actor_id=actor.id, conversation_id=conversation, active=True)
        await process.ephemeral.typing(actor_id=actor.id, conversation_id=conversation, active=False)
    await process.ephemeral.typing(actor_id=bob.id, conversation_id=group, active=True)
    await process.drain()
    assert [(event.recipients, event.user_id) for event in process.heard.typing()] == [((alice.id,), bob.id)]


def test_the_throttle_forgets_signals_receivers_have_faded() -> None:
    clock = Clock()
    throttle = TypingThrottle(clock=clock)
    assert throttle.stop((1, 1)) is None  # nothing started
    for user_id in range(1, 4):
        sent = throttle.start((user_id, 1))
        assert sent is not None
        sent.audience = (9,)
    clock.now += throttle.fade
    assert throttle.stop((1, 1)) is None  # faded on the receivers' side already: nothing to clear
    assert throttle.start((4, 1)) is not None
    assert len(throttle) == 1  # the three faded entries are gone
