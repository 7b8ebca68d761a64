"""Sign-up rules and login: one answer for every wrong credential, and throttling that survives the failed request."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from chatapp.clock import utcnow
from chatapp.errors import ChatError, Conflict, Invalid, Throttled
from chatapp.schemas import Account, UserPublic
from chatapp.security import PasswordHasher
from chatapp.services import accounts
from chatapp.services.tx import Deps, ServiceRunner
from chatapp.services.users import find_by_username
from chatapp.settings import Settings
from models import LoginFailure, User
from tests.factories import PASSWORD, make_user

CLIENT = '203.0.113.7'
OTHER_CLIENT = '198.51.100.9'


class RecordingHasher(PasswordHasher):
    """A real hasher that counts its calls and notes how many database connections were checked out meanwhile."""

    def __init__(self, engine: Engine, *, memory_kib: int = 1024, time_cost: int = 1) -> None:
        super().__init__(memory_kib=memory_kib, time_cost=time_cost)
        self.engine = engine
        self.calls: Counter[str] = Counter()
        self.connections_held: list[int] = []
        self.before_hash: Callable[[], None] = lambda: None

    def hash(self, password: str) -> str:
        self._note('hash')
        self.before_hash()
        return super().hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        self._note('verify')
        return super().verify(password, password_hash)

    def dummy_verify(self) -> None:
        self._note('dummy_verify')
        super().dummy_verify()

    def _note(self, name: str) -> None:
        self.calls[name] += 1
        self.connections_held.append(self.engine.pool.checkedout())  # type: ignore[attr-defined]


@pytest.fixture
def hasher(services: ServiceRunner) -> RecordingHasher:
    return RecordingHasher(services.engine)


@pytest.fixture
def runner(services: ServiceRunner, hasher: RecordingHasher) -> Iterator[ServiceRunner]:
    """The service layer of ``services`` (same database) with the recording hasher."""
    runner = ServiceRunner(services.engine, services.broker, Deps(hasher=hasher, settings=services.deps.settings))
    yield runner
    runner.shutdown()


@pytest.fixture
def limit(settings: Settings) -> int:
    assert settings.login_max_failures == 5
    return settings.login_max_failures


def login(runner: ServiceRunner, username: str, password: str = PASSWORD, client: str = CLIENT) -> UserPublic:
    user, events = runner.run_sync(accounts.authenticate, username=username, password=password, client_key=client)
    assert events == []
    return user


def fail(runner: ServiceRunner, username: str, password: str = 'not the password',  # noqa: S107
         client: str = CLIENT) -> ChatError:
    with pytest.raises(ChatError) as caught:
        login(runner, username, password, client)
    return caught.value


def failures(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key)).one()


def add_failures(engine: Engine, key: str, *ages_seconds: float) -> None:
    """Failures that happened ``ages_seconds`` ago: the one place a test writes rows, to travel in time."""
    now = utcnow()
    with Session(engine) as session:
        session.add_all(LoginFailure(key=key, at=now - timedelta(seconds=age)) for age in ages_seconds)
        session.commit()


# --- signup ---------------------------------------------------------------------------------------------------------


def test_signup_returns_the_public_account(services: ServiceRunner) -> None:
    user, events = services.run_sync(accounts.signup, username='  Alice.Smith ', password=PASSWORD,
                                     display_name='  Alice Smith  ')
    assert user == UserPublic(id=user.id, username='alice.smith', display_name='Alice Smith')
    assert not hasattr(user, 'password_hash')
    assert events == []


def test_signup_stores_an_argon2id_hash_not_the_password(services: ServiceRunner) -> None:
    user = make_user(services, 'alice')
    with Session(services.engine) as session:
        stored = session.get_one(User, user.id).password_hash
    assert stored.startswith('$argon2id$')
    assert services.deps.hasher.verify(PASSWORD, stored)


@pytest.mark.parametrize(('username', 'rule'), [
    ('', '3 to 32'),
    ('   ', '3 to 32'),
    ('ab', '3 to 32'),
    (' ab ', '3 to 32'),
    ('a' * 33, '3 to 32'),
    ('has space', 'only letters'),
    ('émile', 'only letters'),
    ('x@y.org', 'only letters'),
    ('a/b', 'only letters'),
    ('semi;colon', 'only letters'),
    ('tab\tname', 'only letters'),
    ('new\nline', 'only letters'),
    ('ünïcødé', 'only letters'),
    ('١٢٣٤', 'only letters'),  # digits, but not 0-9
])
def test_signup_refuses_bad_usernames(services: ServiceRunner, username: str, rule: str) -> None:
    with pytest.raises(Invalid, match=rule):
        make_user(services, username)


@pytest.mark.parametrize(('username', 'stored'), [
    ('abc', 'abc'),
    ('a' * 32, 'a' * 32),
    ('A.B-c_9', 'a.b-c_9'),
    ('  Bob  ', 'bob'),
    ('...', '...'),
])
def test_signup_accepts_good_usernames(services: ServiceRunner, username: str, stored: str) -> None:
    assert make_user(services, username).username == stored


@pytest.mark.parametrize(('password', 'rule'), [
    ('', 'at least 8'),
    ('7 chars', 'at least 8'),
    ('x' * 129, 'at most 128'),
    ('password', 'too common'),
    ('PassWord', 'too common'),
    ('iloveyou', 'too common'),
    ('12345678', 'too common'),
    ('QWERTYUIOP', 'too common'),
    (' password1 ', 'too common'),
    ('friend of emily', 'too common'),
])
def test_signup_refuses_bad_passwords(services: ServiceRunner, password: str, rule: str) -> None:
    with pytest.raises(Invalid, match=rule):
        make_user(services, 'alice', password=password)


def test_common_password_message_is_clear(services: ServiceRunner) -> None:
    with pytest.raises(Invalid) as caught:
        make_user(services, 'alice', password='sunshine')
    assert str(caught.value) == 'This password is too common; choose another.'


@pytest.mark.parametrize('password', ['8 chars!', 'x' * 128, 'ab' * 64, '  spaces around  ', 'naïve pässwörd ✓'])
def test_signup_accepts_good_passwords_and_they_log_in(services: ServiceRunner, password: str) -> None:
    make_user(services, 'alice', password=password)
    assert login(services, 'alice', password).username == 'alice'


def test_the_common_list_ships_with_the_app() -> None:
    common = accounts.common_passwords()
    assert len(common) > 19000
    assert {'password', '123456', 'qwerty'} <= common
    assert all(entry == entry.lower().strip() for entry in common)


@pytest.mark.parametrize(('display_name', 'rule'), [
    ('x' * 65, 'at most 64'),
    ('two\nlines', 'control'),
    ('tab\there', 'control'),
    ('nul\x00', 'control'),
    ('bell\x07', 'control'),
    ('del\x7f', 'control'),
    ('c1\x85control', 'control'),
    ('right\u202eto left', 'control'),
    ('iso\u2066late', 'control'),
    ('line\u2028separator', 'control'),
])
def test_signup_refuses_bad_display_names(services: ServiceRunner, display_name: str, rule: str) -> None:
    with pytest.raises(Invalid, match=rule):
        make_user(services, 'alice', display_name=display_name)


@pytest.mark.parametrize(('display_name', 'stored'), [
    ('', ''),
    ('   ', ''),
    ('x' * 64, 'x' * 64),
    ('  Alice Smith  ', 'Alice Smith'),
    (' ' + 'x' * 64 + ' ', 'x' * 64),
    ('Zoë 🦊', 'Zoë 🦊'),
    ('\U0001f468\u200d\U0001f469\u200d\U0001f467 family', '\U0001f468\u200d\U0001f469\u200d\U0001f467 family'),
    ('Zoe\u0308', 'Zoë'),  # combining diaeresis, stored composed (NFC)
])
def test_signup_accepts_good_display_names(services: ServiceRunner, display_name: str, stored: str) -> None:
    assert make_user(services, 'alice', display_name=display_name).display_name == stored


@pytest.mark.parametrize(('first', 'second'), [('alice', 'Alice'), ('Alice', 'alice'), ('bob', ' BOB '),
                                               ('carol', 'carol')])
def test_signup_refuses_a_taken_username_in_any_case(services: ServiceRunner, first: str, second: str) -> None:
    make_user(services, first)
    with pytest.raises(Conflict, match=r'^That username is taken\.$'):
        make_user(services, second, password='another good password')


def test_signup_hashes_before_it_holds_a_connection(runner: ServiceRunner, hasher: RecordingHasher) -> None:
    make_user(runner, 'alice')
    assert hasher.calls == Counter(hash=1)
    assert hasher.connections_held == [0]


def test_signup_refuses_before_hashing_when_the_input_is_bad(runner: ServiceRunner, hasher: RecordingHasher) -> None:
    with pytest.raises(Invalid):
        make_user(runner, 'alice', password='password')
    assert hasher.calls == Counter()


@pytest.mark.parametrize('round_', range(3))
def test_concurrent_signups_of_one_name_give_one_account(runner: ServiceRunner, hasher: RecordingHasher,
                                                         round_: int) -> None:
    # Both requests finish hashing together, then race to the database: the unique index decides.
    gate = threading.Barrier(2)
    hasher.before_hash = lambda: _pass_once(gate)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda name: _outcome(make_user, runner, name), ['race', 'RACE']))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ['Conflict', 'UserPublic']
    assert [str(o) for o in outcomes if isinstance(o, Conflict)] == ['That username is taken.']
    with Session(runner.engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 1


# --- authenticate ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('typed', ['alice', 'ALICE', '  Alice  '])
def test_login_with_the_right_password(services: ServiceRunner, typed: str) -> None:
    alice = make_user(services, 'alice', display_name='Alice')
    assert login(services, typed) == Account(**alice.model_dump(), session_epoch=0)


@pytest.mark.parametrize(('username', 'password', 'expected_calls'), [
    ('alice', 'not the password', Counter(verify=1)),
    ('alice', PASSWORD.upper(), Counter(verify=1)),
    ('alice', '', Counter(verify=1)),
    ('nobody', PASSWORD, Counter(dummy_verify=1)),
    ('', PASSWORD, Counter(dummy_verify=1)),
    ('alice ' * 40, PASSWORD, Counter(dummy_verify=1)),
    ('al', PASSWORD, Counter(dummy_verify=1)),
])
def test_wrong_username_or_password_gets_one_answer_and_one_verification(
        runner: ServiceRunner, hasher: RecordingHasher, username: str, password: str,
        expected_calls: Counter[str]) -> None:
    make_user(runner, 'alice')
    hasher.calls.clear()
    hasher.connections_held.clear()
    error = fail(runner, username, password)
    assert type(error) is Invalid
    assert str(error) == 'Wrong username or password.'
    assert hasher.calls == expected_calls
    assert hasher.connections_held == [0], 'argon2 must not run while a database connection is held'


def test_a_failure_is_stored_although_the_request_raised(services: ServiceRunner) -> None:
    make_user(services, 'alice')
    fail(services, 'Alice')
    assert failures(services.engine, 'user:alice') == 1
    assert failures(services.engine, f'client:{CLIENT}') == 1


def test_throttled_after_the_limit_even_with_the_right_password(runner: ServiceRunner, hasher: RecordingHasher,
                                                                limit: int) -> None:
    make_user(runner, 'alice')
    for _ in range(limit):
        assert type(fail(runner, 'alice')) is Invalid
    hasher.calls.clear()
    error = fail(runner, 'alice', PASSWORD)
    assert isinstance(error, Throttled)
    assert 0 < error.retry_after <= 300
    assert str(error) == f'Too many failed attempts. Try again in {error.retry_after} seconds.'
    assert hasher.calls == Counter(), 'a throttled attempt verifies nothing'
    assert failures(runner.engine, 'user:alice') == limit, 'a throttled attempt is not counted'


def test_unknown_usernames_are_throttled_alike(services: ServiceRunner, limit: int) -> None:
    for _ in range(limit):
        assert type(fail(services, 'ghost')) is Invalid
    assert type(fail(services, 'ghost')) is Throttled


def test_throttling_one_username_leaves_others_alone(services: ServiceRunner, limit: int) -> None:
    make_user(services, 'alice')
    make_user(services, 'bob')
    for _ in range(limit):
        fail(services, 'alice')
    assert login(services, 'bob').username == 'bob'


def test_success_clears_the_username_failures(services: ServiceRunner, limit: int) -> None:
    make_user(services, 'alice')
    for _ in range(limit - 1):
        fail(services, 'alice')
    login(services, 'alice')
    assert failures(services.engine, 'user:alice') == 0
    assert failures(services.engine, f'client:{CLIENT}') == limit - 1, 'the client keeps its failures'
    for _ in range(limit - 1):
        assert type(fail(services, 'alice')) is Invalid
    assert login(services, 'alice').username == 'alice'


def test_throttled_per_client_across_usernames(services: ServiceRunner, limit: int) -> None:
    make_user(services, 'alice')
    for n in range(4 * limit):
        assert type(fail(services, f'guess{n}')) is Invalid
    error = fail(services, 'alice', PASSWORD)
    assert isinstance(error, Throttled)
    assert 0 < error.retry_after <= 300
    assert login(services, 'alice', client=OTHER_CLIENT).username == 'alice'


def test_failures_older_than_the_window_do_not_count(services: ServiceRunner, settings: Settings,
                                                     limit: int) -> None:
    make_user(services, 'alice')
    window = settings.login_window_seconds
    add_failures(services.engine, 'user:alice', *[window + 1] * (limit + 3))
    add_failures(services.engine, f'client:{CLIENT}', *[window + 1] * (4 * limit + 3))
    add_failures(services.engine, 'user:someone-else', window + 5, window + 60, 10)
    assert type(fail(services, 'alice')) is Invalid
    with Session(services.engine) as session:
        keys = session.exec(select(LoginFailure.key).order_by(col(LoginFailure.key))).all()
    assert keys == [f'client:{CLIENT}', 'user:alice', 'user:someone-else'], 'old rows are deleted as we go'
    assert login(services, 'alice').username == 'alice'


@pytest.mark.parametrize(('ages', 'low', 'high'), [
    ([250] * 5, 0, 50),  # the oldest leaves in 50 s, and then only 4 are left
    ([290, 100, 100, 100, 100, 100], 150, 200),  # after the oldest left there are still 5: wait for the 5th newest
    ([299.5] + [10] * 4, 0, 1),  # never less than a second
])
def test_retry_after_is_when_the_count_drops_below_the_limit(services: ServiceRunner, ages: list[float],
                                                             low: int, high: int) -> None:
    add_failures(services.engine, 'user:alice', *ages)
    error = fail(services, 'alice')
    assert isinstance(error, Throttled)
    assert low < error.retry_after <= high


def test_parallel_guesses_cannot_exceed_the_limit(runner: ServiceRunner, hasher: RecordingHasher,
                                                  limit: int) -> None:
    make_user(runner, 'alice')
    for _ in range(limit - 1):
        fail(runner, 'alice')
    hasher.calls.clear()
    start = threading.Barrier(8)

    def guess(n: int) -> object:
        start.wait()
        return _outcome(login, runner, 'alice', f'guess number {n}', f'198.51.100.{n}')

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds['Invalid'] <= 1, 'one failure was left before the limit: at most one more guess may be verified'
    assert kinds['Invalid'] + kinds['Throttled'] == 8
    assert hasher.calls['verify'] == kinds['Invalid']
    assert failures(runner.engine, 'user:alice') == limit - 1 + kinds['Invalid'], 'throttled guesses are not counted'


def test_login_upgrades_a_hash_made_with_a_weaker_cost(services: ServiceRunner, settings: Settings) -> None:
    alice = make_user(services, 'alice')
    stronger = PasswordHasher(memory_kib=2048, time_cost=2)
    upgraded = ServiceRunner(services.engine, services.broker, Deps(hasher=stronger, settings=settings))
    try:
        assert login(upgraded, 'alice').id == alice.id
    finally:
        upgraded.shutdown()
    with Session(services.engine) as session:
        stored = session.get_one(User, alice.id).password_hash
    assert not stronger.needs_rehash(stored)
    assert stronger.verify(PASSWORD, stored)


def test_login_keeps_a_current_hash(services: ServiceRunner) -> None:
    alice = make_user(services, 'alice')
    with Session(services.engine) as session:
        before = session.get_one(User, alice.id).password_hash
    login(services, 'alice')
    with Session(services.engine) as session:
        assert session.get_one(User, alice.id).password_hash == before


def _pass_once(gate: threading.Barrier) -> None:
    """Wait for the other thread at the first hash only (a retried transaction hashes again, alone)."""
    if not getattr(threading.current_thread(), 'passed_gate', False):
        threading.current_thread().passed_gate = True  # type: ignore[attr-defined]
        gate.wait(timeout=30)


def _outcome(fn: Callable[..., Any], *args: Any) -> object:
    try:
        return fn(*args)
    except ChatError as error:
        return error


@pytest.mark.parametrize('username', ['al\x00ice', 'x' * 5000, '\x00'])
def test_strange_usernames_get_the_usual_answer(services: ServiceRunner, username: str) -> None:
    make_user(services, 'alice')
    with pytest.raises(Invalid, match='Wrong username or password'):
        services.run_sync(accounts.authenticate, username=username, password='whatever123', client_key='1.2.3.4')


def test_a_password_may_contain_any_character(services: ServiceRunner) -> None:
    make_user(services, 'alice', password='pass\x00word and more')
    user, _ = services.run_sync(accounts.authenticate, username='alice', password='pass\x00word and more',
                                client_key='1.2.3.4')
    assert user.username == 'alice'


# --- one source for each stored length ------------------------------------------------------------------------------

USERNAME_COLUMN = User.__table__.c.username.type.length  # type: ignore[attr-defined]
DISPLAY_NAME_COLUMN = User.__table__.c.display_name.type.length  # type: ignore[attr-defined]
KEY_COLUMN = LoginFailure.__table__.c.key.type.length  # type: ignore[attr-defined]


def test_sign_up_allows_exactly_what_the_columns_hold(services: ServiceRunner) -> None:
    """The rules read the columns' sizes: the longest names allowed are stored (PostgreSQL enforces the size), one
    character more is refused with the rule's message, not by the database."""
    longest, _ = services.run_sync(accounts.signup, username='a' * USERNAME_COLUMN, password=PASSWORD,
                                   display_name='d' * DISPLAY_NAME_COLUMN)
    assert (len(longest.username), len(longest.display_name)) == (USERNAME_COLUMN, DISPLAY_NAME_COLUMN)
    with pytest.raises(Invalid, match=f'3 to {USERNAME_COLUMN} characters'):
        services.run_sync(accounts.signup, username='b' * (USERNAME_COLUMN + 1), password=PASSWORD)
    with pytest.raises(Invalid, match=f'at most {DISPLAY_NAME_COLUMN} characters'):
        services.run_sync(accounts.signup, username='bob', password=PASSWORD,
                          display_name='d' * (DISPLAY_NAME_COLUMN + 1))


def test_the_longest_username_is_found_in_any_case(services: ServiceRunner) -> None:
    make_user(services, 'a' * USERNAME_COLUMN)
    typed = f'  {"A" * USERNAME_COLUMN}  '  # spaces around and capitals, as typed into a URL or a form
    assert services.run_sync(lambda tx: find_by_username(tx.session, typed))[0] is not None
    assert services.run_sync(lambda tx: find_by_username(tx.session, 'a' * (USERNAME_COLUMN + 1)))[0] is None
    assert login(services, typed).username == 'a' * USERNAME_COLUMN


def test_failure_keys_are_cut_to_the_column(services: ServiceRunner) -> None:
    fail(services, 'x' * (2 * KEY_COLUMN), client='c' * (2 * KEY_COLUMN))
    with Session(services.engine) as session:
        keys = session.exec(select(LoginFailure.key)).all()
    assert sorted(keys) == ['client:' + 'c' * (KEY_COLUMN - 7), 'user:' + 'x' * (KEY_COLUMN - 5)]
