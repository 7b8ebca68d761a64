"""Password hashing: argon2id through passlib.

Hashing is deliberately slow; callers run it off the event loop (service functions run on worker threads).
"""

from __future__ import annotations

import os
import threading

from passlib.context import CryptContext


def hashing_slots() -> int:
    """How many hashes may run at once: all cores but one, so that a burst of logins never takes the core the event
    loop (every open page) needs. The load benchmark (docs/benchmarks.md, scenario g) measured chat latency under
    20 logins a second before and after this limit."""
    return max(1, (os.cpu_count() or 2) - 1)


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
