"""A browser's proof of an account and the session epoch (pure: no page needed)."""

from __future__ import annotations

from typing import Any

from chatapp.schemas import Account
from pages.identity import ACCOUNTS, EPOCHS, TAB_USER, TABS, Identity, proof_epoch


def _identity(storage: dict[str, Any], browser: str = 'this-browser') -> Identity:
    alice = Account(id=1, username='alice', display_name='', session_epoch=0)
    return Identity(user=alice, accounts=storage, tab={TAB_USER: 1}, tab_id='t1', browser=browser)


def _storage() -> dict[str, Any]:
    return {ACCOUNTS: {'1': 'alice', '2': 'bob'}, EPOCHS: {'1': 0, '2': 3}, TABS: {'t1': [1, 0.0], 't2': [2, 0.0]}}


def test_an_older_proof_stops_counting_and_is_forgotten_with_its_tabs() -> None:
    storage = _storage()
    identity = _identity(storage)
    assert not identity.sessions_ended(0, None)  # not newer than the proof
    assert identity.sessions_ended(1, None)
    assert storage == {ACCOUNTS: {'2': 'bob'}, EPOCHS: {'2': 3}, TABS: {'t2': [2, 0.0]}}  # bob's proof stays
    assert not identity.is_current()


def test_the_browser_that_changed_the_password_stays_and_renews_its_proof() -> None:
    storage = _storage()
    identity = _identity(storage)
    assert not identity.sessions_ended(1, 'this-browser')
    identity.renew(1)
    assert proof_epoch(storage, 1) == 1 and identity.is_current()
    assert not identity.sessions_ended(1, None)  # a late copy of the same event, or a reconnect's check
    assert identity.sessions_ended(2, 'another-browser')
    assert not identity.is_current()


def test_a_proof_from_before_epochs_counts_as_epoch_zero() -> None:
    storage = {ACCOUNTS: {'1': 'alice'}}
    assert proof_epoch(storage, 1) == 0
    assert proof_epoch({ACCOUNTS: {'1': 'alice'}, EPOCHS: {'1': 'junk'}}, 1) == 0
