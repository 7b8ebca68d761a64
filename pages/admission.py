"""One page build at a time: the synchronous part of building a page (its elements) waits its turn.

Building a page's elements runs on the event loop without a pause (a few milliseconds for the login page, more for
the inbox beside a conversation). When many people arrive at once (scenario g: 20 logins a second, each two page
loads), every request that has arrived builds as soon as it runs, and a chat message that arrives meanwhile waits
behind all of those builds. Taking turns parks the waiting builds outside the loop's queue, so whatever arrives
between two builds (a message to deliver, a socket event) runs after at most the one build in progress. A large
page lets the loop run between its parts too (``between_parts``), so what arrives waits for one part at most.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def build_turn() -> AsyncIterator[None]:
    """Hold the event loop's one turn to build a page; keep only synchronous element building inside."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Lock()
    async with turn:
        yield


async def between_parts() -> None:
    """Let whatever is ready run (a message to deliver) between two parts of a page being built, its turn still
    held. NiceGUI keeps each task's element context apart, so the page goes on building where it was. In scenario i
    (ten inbox pages built a second) builds were the loop's longest steps: 7 ms (p50) to 35 ms on a slow machine
    (docs/benchmarks.md)."""
    await asyncio.sleep(0)
