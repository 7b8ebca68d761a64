"""Presence follows NiceGUI's clients: a page counts while its socket is connected, once however many views it
attaches, whether it attaches before its socket connects (as pages do while they are built) or after."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import Client, ui
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.events import Event
from chatapp.schemas import UserPublic
from tests.factories import make_friends, make_user

GRACE = 0.3


class QuietView:
    """A view that ignores events: only its page's presence matters here."""

    async def handle(self, event: Event) -> None:
        """Nothing to show."""

    async def resync(self) -> None:
        """Nothing to catch up."""


@pytest.fixture
def quick_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed before ``user``, so the app is built with it."""
    monkeypatch.setenv('CHATAPP_PRESENCE_GRACE_SECONDS', str(GRACE))


async def online(chat: ChatApp, viewer: UserPublic, subject: UserPublic) -> bool:
    await chat.ephemeral.presence.settled()
    return (await chat.ephemeral.presence_of(actor_id=viewer.id, user_ids=[subject.id]))[subject.id].online


def close_tab(client: Client) -> None:
    """What NiceGUI does when a tab's socket goes away (the simulation has no socket to close)."""
    for socket_id in list(client._socket_to_document_id):  # the simulated socket ids live only there
        client.handle_disconnect(socket_id)


@pytest.mark.parametrize('attach', ['while built', 'after connecting'])
async def test_online_while_a_page_is_connected_then_offline_after_the_grace(quick_grace: None, user: User,
                                                                             chat: ChatApp, attach: str) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice, bob)

    @ui.page('/probe')
    async def probe(client: Client) -> None:
        if attach == 'after connecting':
            await client.connected()
        await chat.hub.attach(alice.id, QuietView(), client)
        await chat.hub.attach(alice.id, QuietView(), client)  # two views of one page
        if attach == 'while built':
            assert not await online(chat, bob, alice)  # not before its socket connects
        ui.label('probe')

    client = await user.open('/probe')
    await user.should_see('probe')
    assert await online(chat, bob, alice)

    close_tab(client)
    assert await online(chat, bob, alice)  # within the grace: a reload would come back now
    await asyncio.sleep(GRACE * 2)
    assert not await online(chat, bob, alice)
    seen = await chat.ephemeral.presence_of(actor_id=bob.id, user_ids=[alice.id])
    assert seen[alice.id].last_seen_at is not None
