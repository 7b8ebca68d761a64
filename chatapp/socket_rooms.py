"""A socket's rooms found through an index, not by a scan of every room (python-socketio 5, pinned with NiceGUI).

python-socketio keeps ``rooms[namespace][room] = {sid: eio_sid}`` and nothing from a socket to its rooms, so
``get_rooms`` (NiceGUI asks it at every disconnect, to find the page of the socket) and ``basic_disconnect`` copy and
scan every room of the namespace. Each socket has a room of its own and each page one more, so with a thousand pages
open a disconnect scanned about 2,000 rooms twice; in scenario i (ten tabs closing a second among a thousand) those
scans were the largest of the loop's remaining stalls (docs/benchmarks.md, issue 8). Here every room a socket enters
or leaves is also noted per socket, so both answers cost what the socket's own rooms cost (two or three).

Only ``basic_enter_room`` and ``basic_leave_room`` change the rooms (closing a room and disconnecting leave through
the latter), so the index follows them exactly; ``tests/test_socket_rooms.py`` checks it against the scan.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from socketio.base_manager import BaseManager

RoomIndex = dict[tuple[Any, Hashable], set[Any]]
"""(namespace, sid) -> the rooms the socket is in (``None``, the namespace's room of all its sockets, among them)."""

_enter: Callable[..., None] = BaseManager.basic_enter_room
_leave: Callable[..., None] = BaseManager.basic_leave_room


def _index(manager: BaseManager) -> RoomIndex:
    index: RoomIndex | None = manager.__dict__.get('_rooms_by_sid')
    if index is None:
        index = manager.__dict__['_rooms_by_sid'] = {}
    return index


def basic_enter_room(self: BaseManager, sid: Any, namespace: Any, room: Any, eio_sid: Any = None) -> None:
    _enter(self, sid, namespace, room, eio_sid)  # raises, and notes nothing, for a refused room
    _index(self).setdefault((namespace, sid), set()).add(room)


def basic_leave_room(self: BaseManager, sid: Any, namespace: Any, room: Any) -> None:
    _leave(self, sid, namespace, room)
    index = _index(self)
    rooms = index.get((namespace, sid))
    if rooms is not None:
        rooms.discard(room)
        if not rooms:
            del index[(namespace, sid)]


def get_rooms(self: BaseManager, sid: Any, namespace: Any) -> list[Any]:
    """The rooms ``sid`` is in, except the namespace's room of all sockets (as the original answers)."""
    return [room for room in _index(self).get((namespace, sid), ()) if room is not None]


def basic_disconnect(self: BaseManager, sid: Any, namespace: Any, **kwargs: Any) -> None:
    """The original's work, with the socket's rooms taken from the index."""
    if namespace not in self.rooms:
        return
    for room in list(_index(self).get((namespace, sid), ())):
        self.basic_leave_room(sid, namespace, room)
    self.callbacks.pop(sid, None)
    for pending in (self.pending_connect, self.pending_disconnect):
        if namespace in pending and sid in pending[namespace]:
            pending[namespace].remove(sid)
            if not pending[namespace]:
                del pending[namespace]


def install() -> None:
    """Index the rooms of every python-socketio manager in this process (idempotent; before any socket connects)."""
    BaseManager.basic_enter_room = basic_enter_room
    BaseManager.basic_leave_room = basic_leave_room
    BaseManager.get_rooms = get_rooms
    BaseManager.basic_disconnect = basic_disconnect
