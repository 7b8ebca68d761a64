"""The settings page: the privacy switches are stored and shown again on the next visit."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.schemas import Privacy
from chatapp.services import privacy
from tests.factories import make_user
from tests.pages.helpers import signed_in


async def test_privacy_switches_persist(user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/settings')
    await user.should_see(marker='privacy-receipts')
    assert _switch(user, 'privacy-receipts').value is True
    assert _switch(user, 'privacy-presence').value is True
    user.find(marker='privacy-receipts').click()
    await user.should_see('Saved.')
    user.find(marker='privacy-presence').click()
    for _ in range(50):
        stored = await chat.run(privacy.get_privacy, actor_id=alice.id)
        if not stored.show_presence:
            break
        await asyncio.sleep(0.05)
    assert (stored.read_receipts, stored.show_presence) == (False, False)

    await user.open('/settings')  # a new visit shows what is stored
    await user.should_see(marker='privacy-receipts')
    assert _switch(user, 'privacy-receipts').value is False
    assert _switch(user, 'privacy-presence').value is False
    user.find(marker='privacy-presence').click()
    for _ in range(50):
        if (await chat.run(privacy.get_privacy, actor_id=alice.id)).show_presence:
            break
        await asyncio.sleep(0.05)
    assert await chat.run(privacy.get_privacy, actor_id=alice.id) == Privacy(read_receipts=False, show_presence=True)


def _switch(user: User, marker: str) -> ui.switch:
    (switch,) = user.find(marker=marker).elements
    assert isinstance(switch, ui.switch)
    return switch
