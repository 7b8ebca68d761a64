"""The room index (``chatapp.socket_rooms``) answers what python-socketio's own scan of every room answers, through
random connects, room changes, closed rooms and disconnects on a real ``AsyncServer``'s manager."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from socketio.base_manager import BaseManager

from chatapp import socket_rooms

NAMESPACES = ('/', '/other')
PATCHED = ('basic_enter_room', 'basic_leave_room', 'get_rooms', 'basic_disconnect')


@pytest.fixture
def indexed() -> Iterator[None]:
    """The index installed for one test, and the manager's methods as they were afterwards: otherwise this test's
    install would make ``test_installed_by_the_app`` pass whether or not the app installs it."""
    before = {name: BaseManager.__dict__[name] for name in PATCHED}
    socket_rooms.install()
    yield
    for name, method in before.items():
        setattr(BaseManager, name, method)


def scanned_rooms(manager: Any, sid: str, namespace: str) -> set[Any]:
    """python-socketio's own answer: every room of the namespace looked at."""
    return {name for name, room in manager.rooms.get(namespace, {}).items() if name is not None and sid in room}


async def test_the_index_answers_as_the_scan_through_random_changes(indexed: None) -> None:
    server = socketio.AsyncServer()
    manager = server.manager
    rng = random.Random(9)
    connected: list[tuple[str, str]] = []
    rooms = [f'room-{i}' for i in range(12)]
    for step in range(3000):
        choice = rng.random()
        if choice < 0.25 or not connected:
            namespace = rng.choice(NAMESPACES)
            sid = await manager.connect(f'eio-{step}', namespace)
            connected.append((sid, namespace))
        elif choice < 0.55:
            sid, namespace = rng.choice(connected)
            await manager.enter_room(sid, namespace, rng.choice(rooms))
        elif choice < 0.75:
            sid, namespace = rng.choice(connected)
            await manager.leave_room(sid, namespace, rng.choice(rooms))
        elif choice < 0.8:
            await manager.close_room(rng.choice(rooms), rng.choice(NAMESPACES))
        else:
            sid, namespace = connected.pop(rng.randrange(len(connected)))
            await manager.disconnect(sid, namespace)
            assert sid not in manager.rooms.get(namespace, {}).get(None, {})
            assert manager.get_rooms(sid, namespace) == []
        for sid, namespace in connected:
            assert set(manager.get_rooms(sid, namespace)) == scanned_rooms(manager, sid, namespace), step
            assert sid in manager.get_rooms(sid, namespace)  # its own room, as python-socketio keeps it
    for sid, namespace in connected:
        await manager.disconnect(sid, namespace)
    assert manager.rooms == {}
    assert socket_rooms._index(manager) == {}  # nothing left behind for sockets that are gone


def test_installed_by_the_app(user: Any) -> None:
    assert BaseManager.get_rooms is socket_rooms.get_rooms  # tests/main.py built the app with create_app
