"""Who is typing in a conversation, as one line: a pure model, unit-tested without NiceGUI.

Typing is ephemeral (``chatapp.events.Typing``): an entry fades ``FADE`` seconds after its typist's last event, and
at once when they stop (``active=False``) or their message arrives. The view owns the clock (it schedules ``expire``).
"""

from __future__ import annotations

FADE = 6.0


class Typists:
    """Typists in the order they started."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def start(self, user_id: int, name: str) -> bool:
        """``user_id`` is typing; whether the line changes."""
        changed = self._names.get(user_id) != name
        self._names[user_id] = name
        return changed

    def stop(self, user_id: int) -> bool:
        """``user_id`` stopped (or sent, or faded); whether the line changes."""
        return self._names.pop(user_id, None) is not None

    def text(self) -> str:
        return who_types(list(self._names.values()))


def who_types(names: list[str]) -> str:
    """"Alice is typing…", "Alice and Bob are typing…", "3 people are typing…" ('' for nobody): the conversation's
    line and a group's inbox row say it alike."""
    if not names:
        return ''
    if len(names) == 1:
        return f'{names[0]} is typing…'
    if len(names) == 2:
        return f'{names[0]} and {names[1]} are typing…'
    return f'{len(names)} people are typing…'
