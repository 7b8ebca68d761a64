"""Logins never hold the threads everyone else needs: functions that hash passwords run on threads of their own."""

from __future__ import annotations

import asyncio
import threading

from chatapp.security.hashing import hashes_passwords
from chatapp.services import accounts
from chatapp.services.tx import ServiceRunner, Tx
from chatapp.services.users import find_by_username
from tests.factories import make_user


async def test_a_crowd_of_logins_waiting_to_hash_does_not_hold_up_other_calls(services: ServiceRunner) -> None:
    make_user(services, 'alice')
    release = threading.Event()

    @hashes_passwords
    def waiting_login(tx: Tx) -> None:  # a login waiting for its turn at the hashing slot
        release.wait(10)

    logins = [asyncio.ensure_future(services(waiting_login)) for _ in range(40)]  # more than all threads
    await asyncio.sleep(0.1)
    try:
        found = await asyncio.wait_for(services(lambda tx: find_by_username(tx.session, 'alice')), 2)
        assert found is not None and found.username == 'alice'
        assert not any(login.done() for login in logins)
    finally:
        release.set()
        await asyncio.gather(*logins)


def test_the_password_services_are_marked() -> None:
    from chatapp.security.hashing import hashes

    assert hashes(accounts.authenticate) and hashes(accounts.signup)
    assert not hashes(accounts.normalize_username)
