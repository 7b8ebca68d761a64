"""Waiting until a simulated page has gone quiet, before another simulated person acts.

NiceGUI's user simulation points the global ``ui.navigate`` at whichever ``User`` was touched last, and a page's
own outbox touches its ``User`` when it sends a script (the title, say). A page whose first content goes out a tick
after the test already saw it (content built after ``await client.connected()`` waits for the outbox's next turn)
can therefore take the navigation of the next person logging in: that person stays on the login page while the
first is sent to their target. Waiting until the page has read what it reads when it opens and its outbox is empty
closes that window.
"""

from __future__ import annotations

import asyncio

from nicegui import background_tasks
from nicegui.testing import User

from tests.pages.helpers import signed_in

OPENING_READS = {'friends reload', 'inbox read', 'unread total'}
"""Names of the background tasks that pages start when they open (see pages.friends and pages.inbox)."""


async def settled(user: User, *, attempts: int = 200) -> None:
    """Wait until ``user``'s page has finished its opening reads and sent everything it had to send."""
    for _ in range(attempts):
        loading = [task for task in background_tasks.running_tasks if task.get_name() in OPENING_READS]
        if loading:
            await asyncio.wait(loading, timeout=1)
            continue
        outbox = user.client.outbox
        if not outbox.updates and not outbox.messages:
            await asyncio.sleep(0.05)  # the loop's last emits, awaited one after another
            if not outbox.updates and not outbox.messages:
                return
        await asyncio.sleep(0.02)
    raise AssertionError('the page never went quiet')


async def arrive(user: User, username: str, path: str) -> None:
    """Log in to ``path`` and wait until the page has gone quiet."""
    await signed_in(user, username, path)
    await settled(user)
