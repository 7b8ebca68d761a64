"""Password hashing and signed tokens."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from chatapp.errors import Invalid
from chatapp.security import PasswordHasher, Payload, TokenSigner

SECRET = 'a-test-secret-that-is-long-enough-' + 'y' * 16


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(memory_kib=1024, time_cost=1)


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET)


def test_hash_is_argon2id_and_verifies(hasher: PasswordHasher) -> None:
    password_hash = hasher.hash('a long enough password')
    assert password_hash.startswith('$argon2id$')
    assert hasher.verify('a long enough password', password_hash)


@pytest.mark.parametrize('attempt', ['a long enough passwore', 'A long enough password', '', 'a long enough password '])
def test_wrong_password_does_not_verify(hasher: PasswordHasher, attempt: str) -> None:
    assert not hasher.verify(attempt, hasher.hash('a long enough password'))


def test_hashes_are_salted(hasher: PasswordHasher) -> None:
    assert hasher.hash('same password') != hasher.hash('same password')


def test_dummy_verify_accepts_nothing(hasher: PasswordHasher) -> None:
    assert hasher.dummy_verify() is None


@pytest.mark.parametrize(('memory_kib', 'time_cost', 'expected'), [(1024, 1, False), (2048, 1, True), (1024, 2, True)])
def test_needs_rehash_when_the_cost_changes(hasher: PasswordHasher, memory_kib: int, time_cost: int,
                                            expected: bool) -> None:
    stored = hasher.hash('a long enough password')
    assert PasswordHasher(memory_kib=memory_kib, time_cost=time_cost).needs_rehash(stored) is expected


@pytest.mark.parametrize('payload', [{'file': 42, 'name': 'cat.png'}, 'a string', 17, 0, {}])
def test_token_round_trip(signer: TokenSigner, payload: Payload) -> None:
    token = signer.sign('download', payload)
    assert re.fullmatch(r'[A-Za-z0-9_.-]+', token), 'the token must be usable in a URL as it is'
    assert signer.unsign('download', token, max_age_seconds=60) == payload


def test_token_for_another_purpose_is_refused(signer: TokenSigner) -> None:
    token = signer.sign('download', {'file': 42})
    with pytest.raises(Invalid, match='not valid'):
        signer.unsign('avatar', token, max_age_seconds=60)


def test_token_from_another_secret_is_refused(signer: TokenSigner) -> None:
    token = TokenSigner('another-secret-that-is-long-enough-' + 'z' * 16).sign('download', 42)
    with pytest.raises(Invalid, match='not valid'):
        signer.unsign('download', token, max_age_seconds=60)


def test_altered_token_is_refused(signer: TokenSigner) -> None:
    token = signer.sign('download', {'file': 42})
    rest = token.split('.', 1)[1]
    forged = TokenSigner(SECRET).sign('download', {'file': 43}).split('.', 1)[0] + '.' + rest
    assert forged != token
    with pytest.raises(Invalid, match='not valid'):
        signer.unsign('download', forged, max_age_seconds=60)


@pytest.mark.parametrize('token', ['', 'garbage', 'a.b.c', '....', 'eyJmaWxlIjo0Mn0.AAAA.BBBB'])
def test_malformed_token_is_refused(signer: TokenSigner, token: str) -> None:
    with pytest.raises(Invalid, match='not valid'):
        signer.unsign('download', token, max_age_seconds=60)


def test_expired_token_is_refused(signer: TokenSigner, monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = int(time.time()) - 120
    monkeypatch.setattr(TimestampSigner, 'get_timestamp', lambda self: signed_at)
    token = signer.sign('download', {'file': 42})
    monkeypatch.undo()
    with pytest.raises(Invalid, match='expired'):
        signer.unsign('download', token, max_age_seconds=60)
    assert signer.unsign('download', token, max_age_seconds=600) == {'file': 42}


def test_empty_purpose_is_a_programming_error(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match='purpose'):
        signer.sign('', 1)
