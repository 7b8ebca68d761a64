"""Password hashing: argon2id through passlib.

Hashing is deliberately slow; callers run it off the event loop (service functions run on worker threads), and the
service functions that hash are marked (``hashes_passwords``) so that they run on threads of their own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from passlib.context import CryptContext

F = TypeVar('F', bound=Callable[..., Any])
_MARK = '__chatapp_hashes_passwords__'


def hashing_slots() -> int:
    """How many hashes may run at once: all cores but one, so that a burst of logins never takes the core the event
    loop (every open page) needs. The load benchmark (docs/benchmarks.md, scenario g) measured chat latency under
    20 logins a second before and after this limit."""
    return max(1, (os.cpu_count() or 2) - 1)


def hashes_passwords(fn: F) -> F:
    """Mark a service function that hashes or verifies a password (returned unchanged). ``ServiceRunner`` runs such
    functions on threads of their own: a burst of logins waiting for a hashing slot must not hold the threads that
    every other service call needs. Scenario g (20 logins a second beside a chatting pair) found all 16 of them
    waiting for the one slot, and the pair's messages queued behind the logins."""
    setattr(fn, _MARK, True)
    return fn


def hashes(fn: object) -> bool:
    """Whether ``fn`` is marked with ``hashes_passwords``."""
    return bool(getattr(fn, _MARK, False))


class PasswordHasher:
    """argon2id with the configured cost; ``dummy_verify`` spends a verification's time when there is no account,
    so a login attempt takes as long for an unknown username as for a wrong password. At most ``slots`` hashes run
    at once (see ``hashing_slots``); the others wait their turn on their worker threads."""

    def __init__(self, *, memory_kib: int, time_cost: int, slots: int | None = None) -> None:
        self._context = CryptContext(schemes=['argon2'], argon2__type='ID', argon2__memory_cost=memory_kib,
                                     argon2__rounds=time_cost, argon2__parallelism=1)
        self._slots = threading.BoundedSemaphore(slots or hashing_slots())
        self._dummy = self._context.hash('not a password: used to spend time for unknown users')

    def hash(self, password: str) -> str:
        """A new salted hash of ``password`` with the current settings (PHC string, ``$argon2id$...``)."""
        with self._slots:
            return self._context.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        """True when ``password`` matches ``password_hash`` (compared in constant time by argon2)."""
        with self._slots:
            return self._context.verify(password, password_hash)

    def dummy_verify(self) -> None:
        """Spend the time of one verification against a hash made with the current settings, and learn nothing."""
        with self._slots:
            self._context.verify('wrong password', self._dummy)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash used weaker settings than the current ones."""
        return self._context.needs_update(password_hash)
