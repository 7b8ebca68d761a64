"""A flooding client: a signed-in person's page whose socket sends message events as fast as it takes them, then as
many raw clicks, and what became of it (how much it sent, whether and when the server closed its socket).

It runs in a process of its own (``python -m bench.flood``), so that its own CPU does not delay the load tool's
honest people and their latencies show the server's behaviour, not the tool's. The parent talks to it in lines:
the child says ``ready`` once signed in on its chat page, floods on ``go``, and on ``stop`` prints its report as
one JSON line and leaves.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

import socketio

from bench.page import PageError, listener
from bench.person import Person, composed
from bench.server import ROOT
from bench.tab import loopback

READY, GO, STOP, REPORT = 'ready', 'go', 'stop', 'report '
START_SECONDS = 60.0
FLUSH_SECONDS = 60.0
SOURCE = loopback(0, network=2)
BLANK = {'problem': 'blank', 'length': 0}
"""What the send button emits when the box is empty: a click that the page must refuse, cheaply."""


@dataclass
class FloodReport:
    messages: int = 0
    """Message events handed to the socket."""
    clicks: int = 0
    """Raw clicks (the send button on an empty box) handed to the socket."""
    unsent: int = 0
    """Of those, still queued in the client when the socket closed: the server never read them."""
    send_seconds: float | None = None
    """From the first event to the last leaving the socket (or the socket closing)."""
    closed_after_s: float | None = None
    """When the server closed the socket, from the first event; ``None``: it stayed open."""


async def flood(person: Person, messages: int, clicks: int, started: float) -> FloodReport:
    """Queue ``messages`` Enter events (each a fresh message), then ``clicks`` blank clicks on the send button, all
    at once, and wait until they have left the socket or the server closed it; times count from ``started``. A page
    the server shut out stays shut: this client does not reconnect."""
    tab = person.tab
    tab.reconnects = False
    box_id, box = await tab.wait_for('message-input')
    button_id, button = await tab.wait_for('message-send')
    enter, click = listener(box, 'keydown', 'enter'), listener(button, 'click')
    report = FloodReport()
    try:
        for k in range(messages):
            await tab.send_event(box_id, enter, composed(f'flood {k}'))
            report.messages += 1
        for _ in range(clicks):
            await tab.send_event(button_id, click, BLANK)
            report.clicks += 1
    except (PageError, socketio.exceptions.SocketIOError):
        pass  # the server closed the socket while the events were queued
    report.unsent = await tab.flushed(FLUSH_SECONDS)
    report.send_seconds = round(time.perf_counter() - started, 3)
    report.closed_after_s = _closed_after(person, started)
    return report


def _closed_after(person: Person, started: float) -> float | None:
    dropped = person.tab.dropped_at
    return None if dropped is None or dropped < started else round(dropped - started, 3)


class Flooder:
    """The parent's handle on a ``python -m bench.flood`` process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def go(self) -> None:
        await self._say(GO)

    async def stop(self) -> dict[str, Any]:
        """End the flood (the child closes its page) and return its report."""
        await self._say(STOP)
        assert self.process.stdout is not None
        while line := (await asyncio.wait_for(self.process.stdout.readline(), FLUSH_SECONDS + 30)).decode():
            if line.startswith(REPORT):
                return dict(json.loads(line.removeprefix(REPORT)))
        raise RuntimeError(f'the flooding client exited with {await self.process.wait()} and no report')

    async def _say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f'{word}\n'.encode())
        await self.process.stdin.drain()


@asynccontextmanager
async def flooder(base_url: str, username: str, peer: str, messages: int, clicks: int) -> AsyncIterator[Flooder]:
    """A flooding client signed in as ``username`` on its chat with ``peer``, ready to ``go``; always ended. It
    sends from a loopback address that no simulated person uses (127.2.0.1)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, '-m', 'bench.flood', base_url, username, peer, str(messages), str(clicks), SOURCE, cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
        if line.decode().strip() != READY:
            raise RuntimeError(f'the flooding client did not start: {line!r}')
        yield Flooder(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _child(base_url: str, username: str, peer: str, messages: int, clicks: int, source: str) -> None:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    person = Person(base_url, username, source)
    try:
        await person.open_chat(peer)
        print(READY, flush=True)
        report = FloodReport()
        if (await reader.readline()).decode().strip() == GO:
            started = time.perf_counter()
            report = await flood(person, messages, clicks, started)
            await reader.readline()  # stop: the page stays open (and may yet be closed) until then
            report.closed_after_s = _closed_after(person, started)
        await person.close()  # before the report: once the parent has it, this page sends nothing more
        print(REPORT + json.dumps(asdict(report)), flush=True)
    finally:
        await person.close()


if __name__ == '__main__':
    url, user, friend, count, extra, address = sys.argv[1:7]
    asyncio.run(_child(url, user, friend, int(count), int(extra), address))
