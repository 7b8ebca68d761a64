"""Accounts: sign up under the username and password rules, and log in with throttling that every process shares.

No events: nobody else needs to hear of a new account or of a login.
"""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import bindparam, delete, exc, insert, update
from sqlalchemy import select as core_select

from chatapp.clock import as_utc, utcnow
from chatapp.errors import Conflict, Invalid, Throttled
from chatapp.schemas import Account, UserPublic
from chatapp.security.hashing import hashes_passwords
from chatapp.security.limits import limited
from chatapp.services.conversations import core_table
from chatapp.services.tx import Tx
from chatapp.services.users import find_by_username
from models import LoginFailure, User
from models.login_failure import KEY_MAX
from models.user import DISPLAY_NAME_MAX, USERNAME_MAX

USERNAME_MIN = 3  # the maximum, like every length the database stores, is the model's (models/user.py)
USERNAME_CHARACTERS = re.compile(r'[a-z0-9_.-]+')
PASSWORD_MIN, PASSWORD_MAX = 8, 128
CLIENT_FAILURES_FACTOR = 4
"""A client (one address) may fail this many times more often than one username: people share addresses."""
WRONG_CREDENTIALS = 'Wrong username or password.'

# Logging in is a burst path (people arrive together): Core statements built once, as the message path does.
_failures = core_table(LoginFailure)
_users = core_table(User)
_FORGET_OLD = delete(_failures).where(_failures.c.at < bindparam('before'))
_FAIL = insert(_failures).returning(_failures.c.id)
_RECENT = (core_select(_failures.c.at)
           .where(_failures.c.key == bindparam('key'), _failures.c.at >= bindparam('since'),
                  _failures.c.id.not_in(bindparam('attempt', expanding=True)))
           .order_by(_failures.c.at.desc()).limit(bindparam('limit')))
_FORGET_IDS = delete(_failures).where(_failures.c.id.in_(bindparam('ids', expanding=True)))
_FORGET_KEY = delete(_failures).where(_failures.c.key == bindparam('key'))
_USER = core_select(_users.c.id, _users.c.username, _users.c.display_name, _users.c.password_hash,
                    _users.c.session_epoch) \
    .where(_users.c.username == bindparam('name'), _users.c.deleted_at.is_(None))
_REHASH = update(_users).where(_users.c.id == bindparam('user_id')).values(password_hash=bindparam('new_hash'))
TAKEN = 'That username is taken.'
# Bidirectional embeddings, overrides and isolates reorder the text around a name: a way to impersonate someone.
BIDI_CONTROLS = frozenset('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')


@limited('signups')
@hashes_passwords
def signup(tx: Tx, *, username: str, password: str, display_name: str = '') -> UserPublic:
    """Create an account; the username is stored lower-case, so 'Alice' and 'alice' are one name."""
    name = normalize_username(username)
    shown = clean_display_name(display_name)
    check_password(password)
    # Before the first query: the session holds no connection while argon2 works.
    password_hash = tx.deps.hasher.hash(password)
    if find_by_username(tx.session, name) is not None:
        raise Conflict(TAKEN)
    user = User(username=name, display_name=shown, password_hash=password_hash)
    try:
        with tx.session.begin_nested():
            tx.session.add(user)
    except exc.IntegrityError:  # a concurrent signup took the name after our check: the unique index says so
        raise Conflict(TAKEN) from None
    return UserPublic.model_validate(user)  # a new account's session epoch is 0


@hashes_passwords
def authenticate(tx: Tx, *, username: str, password: str, client_key: str) -> Account:
    """The account (with its session epoch, for the browser's proof) when ``password`` is right; ``Invalid`` with
    one message whether the username or the password is wrong, ``Throttled`` after too many failures of this username
    or of this client (``client_key``: its address).

    Every attempt is first stored as a failure and committed, then checked against the limits, and only then is the
    password verified; a success deletes it again. Storing first means that (1) the failure survives the rollback
    that the runner does when we raise ``Invalid``, and (2) concurrent attempts see each other, so no burst of
    parallel guesses can verify more passwords than the limit allows. A throttled attempt verifies nothing and is
    not counted: otherwise someone could keep an account locked for ever by going on trying.
    Failures of unknown usernames count too, so that throttling does not tell which usernames exist. A deleted
    account is unknown: its row is never looked up here.
    """
    settings = tx.deps.settings
    name = username.strip().lower()
    # Keys are stored: a NUL (which PostgreSQL refuses in text) becomes U+FFFD; a usable name never has one.
    user_key = f'user:{name}'.replace('\x00', '\ufffd')[:KEY_MAX]
    client = f'client:{client_key}'.replace('\x00', '\ufffd')[:KEY_MAX]
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    attempt = _store_attempt(tx, [user_key, client], now, window)

    wait = max(_wait(tx, user_key, settings.login_max_failures, now, window, attempt),
               _wait(tx, client, settings.login_max_failures * CLIENT_FAILURES_FACTOR, now, window, attempt))
    connection = tx.session.connection()
    if wait:
        connection.execute(_FORGET_IDS, {'ids': attempt})
        tx.session.commit()  # kept although we raise: the runner rolls back on exceptions
        raise Throttled(f'Too many failed attempts. Try again in {wait} seconds.', retry_after=wait)

    # The same lookup as ``find_by_username``, as a statement built once: logins come in bursts.
    user = None if '\x00' in name or len(name) > USERNAME_MAX else connection.execute(_USER, {'name': name}).first()
    tx.session.commit()  # end the read: no connection is held while argon2 works
    if user is None:
        # Spend a verification's time anyway: a quicker answer would tell that this username does not exist.
        tx.deps.hasher.dummy_verify()
        raise Invalid(WRONG_CREDENTIALS)
    if not tx.deps.hasher.verify(password, user.password_hash):
        raise Invalid(WRONG_CREDENTIALS)  # the attempt stays stored as a failure: it was committed above
    new_hash = tx.deps.hasher.hash(password) if tx.deps.hasher.needs_rehash(user.password_hash) else None

    connection = tx.session.connection()
    connection.execute(_FORGET_KEY, {'key': user_key})
    connection.execute(_FORGET_IDS, {'ids': attempt})
    if new_hash is not None:
        connection.execute(_REHASH, {'user_id': user.id, 'new_hash': new_hash})
    return Account(id=user.id, username=user.username, display_name=user.display_name,
                   session_epoch=user.session_epoch)


def normalize_username(username: str) -> str:
    """The stored form of ``username`` (stripped, lower-case), or ``Invalid`` saying the rule it breaks."""
    name = username.strip().lower()
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise Invalid(f'A username has {USERNAME_MIN} to {USERNAME_MAX} characters.')
    if not USERNAME_CHARACTERS.fullmatch(name):
        raise Invalid('A username may contain only letters a-z, digits 0-9 and the characters _ . -')
    return name


def clean_display_name(display_name: str) -> str:
    """The stored form of a display name (stripped, NFC), or ``Invalid``; empty means 'show the username'."""
    shown = unicodedata.normalize('NFC', display_name.strip())
    if len(shown) > DISPLAY_NAME_MAX:
        raise Invalid(f'A display name has at most {DISPLAY_NAME_MAX} characters.', code='name_too_long')
    if has_control_characters(shown):
        raise Invalid('A display name cannot contain line breaks, tabs or other control characters.',
                      code='name_bad_character')
    return shown


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a line break, tab, other control character, lone surrogate or bidirectional control:
    none belongs in a one-line name or "about" line."""
    return any(unicodedata.category(c) in {'Cc', 'Cs', 'Zl', 'Zp'} or c in BIDI_CONTROLS for c in text)


def check_password(password: str) -> None:
    """``Invalid`` unless ``password`` is 8 to 128 characters long and not a well-known one. No composition rules:
    length and rarity make a password strong, required symbols do not (NIST SP 800-63B)."""
    if len(password) < PASSWORD_MIN:
        raise Invalid(f'Use at least {PASSWORD_MIN} characters for your password.')
    if len(password) > PASSWORD_MAX:
        raise Invalid(f'Use at most {PASSWORD_MAX} characters for your password.')
    if password.strip().lower() in common_passwords():
        raise Invalid('This password is too common; choose another.')


@cache
def common_passwords() -> frozenset[str]:
    """About 20,000 passwords that attackers try first, lower-case (Django's list: see chatapp/data/README.md)."""
    data = resources.files('chatapp').joinpath('data/common-passwords.txt.gz').read_bytes()
    lines = gzip.decompress(data).decode('utf-8').splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def _store_attempt(tx: Tx, keys: list[str], now: datetime, window: timedelta) -> list[int]:
    """Record the attempt as a failure of each key and commit; also forget every failure older than the window
    (the table stays as small as the recent failures)."""
    connection = tx.session.connection()
    connection.execute(_FORGET_OLD, {'before': now - window})
    ids = [connection.execute(_FAIL, {'key': key, 'at': now}).scalar_one() for key in keys]
    tx.session.commit()
    return ids


def _wait(tx: Tx, key: str, limit: int, now: datetime, window: timedelta, attempt: Sequence[int]) -> int:
    """Seconds until ``key`` has fewer than ``limit`` other failures in the window (0: not throttled).

    That is when the ``limit``-th newest of them leaves the window: with exactly ``limit`` failures, the oldest."""
    newest = tx.session.connection().execute(
        _RECENT, {'key': key, 'since': now - window, 'attempt': list(attempt), 'limit': limit}).scalars().all()
    if len(newest) < limit:
        return 0
    return max(1, math.ceil((as_utc(newest[-1]) + window - now).total_seconds()))
