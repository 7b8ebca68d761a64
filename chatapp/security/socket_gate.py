"""A budget for each page socket's frames, kept at the door: before a frame is parsed, queued or given a task.

The socket guard (``socket_guard``) budgets socket.io packets, but each websocket frame has already cost engine.io a
task, a decode and a dispatch by then. A flood of thousands of frames, read at once, cost the event loop every
other page's time (the flood benchmark, scenario h). Here, between the ASGI server and the socket.io app, a frame
over the budget is dropped for the price of a dictionary lookup, and a connection that keeps sending over it is
ended: the app is told the client went away, and the frames still queued are never read.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatapp.security.socket_budget import TokenBucket
from chatapp.security.socket_refusals import Refusals

SOCKET_PATH = '/_nicegui_ws/'
POLICY_VIOLATION = 1008


class SocketGate:
    """Pure ASGI middleware; only websockets under ``SOCKET_PATH`` are budgeted, everything else passes through."""

    def __init__(self, app: ASGIApp, *, rate: float, burst: float, close_after: int,
                 refusals: Callable[[], Refusals | None]) -> None:
        self.app = app
        self._rate, self._burst, self._close_after = rate, burst, close_after
        self._refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'websocket' or not scope.get('path', '').startswith(SOCKET_PATH):
            await self.app(scope, receive, send)
            return
        bucket = TokenBucket(self._rate, self._burst, self._burst, time.monotonic())

        async def budgeted() -> Message:
            while True:
                message = await receive()
                if message['type'] != 'websocket.receive' or bucket.take(time.monotonic()):
                    return message
                self._refuse('over-budget')
                if bucket.overflow >= self._close_after:
                    self._refuse('closed-flood')
                    return {'type': 'websocket.disconnect', 'code': POLICY_VIOLATION}

        await self.app(scope, budgeted, send)

    def _refuse(self, kind: str) -> None:
        if (refusals := self._refusals()) is not None:
            refusals.refuse(kind)
