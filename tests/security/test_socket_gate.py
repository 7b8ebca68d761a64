"""The gate in front of the socket.io app: frames over a socket's budget never reach it, and a flood ends the
connection without the queued frames being read."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from chatapp.security.socket_gate import POLICY_VIOLATION, SOCKET_PATH, SocketGate
from chatapp.security.socket_refusals import Refusals


class SocketApp:
    """Reads messages until the connection ends, as engine.io's reader does."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.ended: Message | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message['type'] != 'websocket.receive':
                self.ended = message
                return
            self.frames.append(message['text'])


def client(frames: int) -> tuple[Receive, list[int]]:
    """A connection that sends ``frames`` frames at once, then goes away; ``read`` counts what was taken from it."""
    queue: list[Message] = [{'type': 'websocket.receive', 'text': str(n)} for n in range(frames)]
    queue.append({'type': 'websocket.disconnect', 'code': 1000})
    read = [0]

    async def receive() -> Message:
        read[0] += 1
        return queue.pop(0)

    return receive, read


async def nothing(message: Message) -> None:
    pass


async def test_a_burst_within_the_budget_passes_whole() -> None:
    app, refusals = SocketApp(), Refusals()
    gate = SocketGate(app, rate=1, burst=10, close_after=20, refusals=lambda: refusals)
    receive, _ = client(10)
    await gate({'type': 'websocket', 'path': f'{SOCKET_PATH}socket.io/'}, receive, nothing)
    assert app.frames == [str(n) for n in range(10)]
    assert app.ended == {'type': 'websocket.disconnect', 'code': 1000}
    assert not refusals.counts


async def test_a_flood_is_cut_off_and_its_queued_frames_are_never_read() -> None:
    app, refusals = SocketApp(), Refusals()
    gate = SocketGate(app, rate=1, burst=10, close_after=20, refusals=lambda: refusals)
    receive, read = client(3000)
    await gate({'type': 'websocket', 'path': f'{SOCKET_PATH}socket.io/'}, receive, nothing)
    assert app.frames == [str(n) for n in range(10)]  # the burst; everything after it was over the budget
    assert app.ended == {'type': 'websocket.disconnect', 'code': POLICY_VIOLATION}
    assert read[0] == 30  # 10 passed, 20 dropped, then the connection was ended: 2,970 frames never read
    assert refusals.counts['closed-flood'] == 1


async def test_other_paths_pass_untouched() -> None:
    app = SocketApp()
    gate = SocketGate(app, rate=1, burst=1, close_after=1, refusals=lambda: None)
    receive, _ = client(50)
    await gate({'type': 'websocket', 'path': '/elsewhere'}, receive, nothing)
    assert len(app.frames) == 50
