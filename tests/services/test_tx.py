"""The unit of work: one transaction per service call, events only after its commit, retries of lost races."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from chatapp import sqlite as sqlite_module
from chatapp.events import Event, FriendshipChanged
from chatapp.schemas import Relation
from chatapp.services import friendships
from chatapp.services.tx import RETRIES, ServiceRunner, Tx, _retryable, reads_only
from chatapp.sqlite import make_sqlite_engine
from models import User
from tests.factories import make_user


class Refused(Exception):
    """What the failing service functions below raise."""


def _ghost(number: int = 0) -> FriendshipChanged:
    return FriendshipChanged(recipients=(number,), user_ids=(number, number + 1), status='pending')


def store_then_fail(tx: Tx) -> None:
    """Writes, emits, then fails: none of it may be seen."""
    tx.session.add(User(username='ghost', password_hash='x'))
    tx.session.flush()
    tx.emit(_ghost())
    raise Refused


def store_in_savepoint_then_fail(tx: Tx) -> None:
    """Like ``store_then_fail``, with the write in a savepoint, as the services do to survive a unique-key race."""
    with tx.session.begin_nested():
        tx.session.add(User(username='ghost', password_hash='x'))
    tx.emit(_ghost())
    raise Refused


def test_a_failed_call_stores_and_publishes_nothing(services: ServiceRunner) -> None:
    with pytest.raises(Refused):
        services.run_sync(store_then_fail)
    assert _usernames(services) == []


def test_a_savepoint_does_not_commit_early(services: ServiceRunner) -> None:
    # pysqlite on its own begins a transaction only at the first write, and the RELEASE of a savepoint taken before
    # that commits; chatapp.sqlite begins every transaction itself.
    with pytest.raises(Refused):
        services.run_sync(store_in_savepoint_then_fail)
    assert _usernames(services) == []


@pytest.mark.parametrize('error', [
    OperationalError('UPDATE x', {}, sqlite3.OperationalError('database is locked')),
    OperationalError('UPDATE x', {}, type('SerializationFailure', (Exception,), {'sqlstate': '40001'})()),
    OperationalError('UPDATE x', {}, type('DeadlockDetected', (Exception,), {'sqlstate': '40P01'})()),
], ids=['sqlite-locked', 'pg-serialization', 'pg-deadlock'])
def test_a_lost_race_runs_again_from_the_start(services: ServiceRunner, error: OperationalError) -> None:
    attempts: list[int] = []

    def flaky(tx: Tx) -> int:
        attempts.append(len(attempts) + 1)
        tx.session.add(User(username=f'try{len(attempts)}', password_hash='x'))
        tx.session.flush()
        tx.emit(_ghost(len(attempts)))
        if len(attempts) < 3:
            raise error
        return len(attempts)

    result, events = services.run_sync(flaky)

    assert result == 3 and attempts == [1, 2, 3]
    assert events == [_ghost(3)]  # nothing of the failed attempts
    assert _usernames(services) == ['try3']


def test_no_retry_after_the_function_committed_part_of_its_work(services: ServiceRunner) -> None:
    attempts: list[int] = []

    def commits_early(tx: Tx) -> None:
        attempts.append(1)
        tx.session.add(User(username='early', password_hash='x'))
        tx.session.commit()
        raise OperationalError('UPDATE x', {}, sqlite3.OperationalError('database is locked'))

    with pytest.raises(OperationalError):
        services.run_sync(commits_early)
    assert attempts == [1]
    assert _usernames(services) == ['early']  # once, not once per attempt


def test_no_retry_after_a_commit_through_a_transaction_block(services: ServiceRunner) -> None:
    """Any commit counts, not only ``session.commit()``: here the session's own transaction block commits."""
    attempts: list[int] = []

    def commits_in_a_block(tx: Tx) -> None:
        attempts.append(1)
        with tx.session.begin():
            tx.session.add(User(username='block', password_hash='x'))
        raise OperationalError('UPDATE x', {}, sqlite3.OperationalError('database is locked'))

    with pytest.raises(OperationalError):
        services.run_sync(commits_in_a_block)
    assert attempts == [1]
    assert _usernames(services) == ['block']


def test_a_commit_in_one_call_does_not_stop_retries_in_the_next(services: ServiceRunner) -> None:
    services.run_sync(lambda tx: tx.session.commit())
    attempts: list[int] = []

    def locked_once(tx: Tx) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError('UPDATE x', {}, sqlite3.OperationalError('database is locked'))
        return len(attempts)

    assert services.run_sync(locked_once) == (2, [])


def test_retries_give_up_in_the_end(services: ServiceRunner) -> None:
    attempts: list[int] = []

    def always_locked(tx: Tx) -> None:
        attempts.append(1)
        raise OperationalError('UPDATE x', {}, sqlite3.OperationalError('database is locked'))

    with pytest.raises(OperationalError):
        services.run_sync(always_locked)
    assert len(attempts) == RETRIES


def test_other_database_errors_are_not_retried(services: ServiceRunner) -> None:
    attempts: list[int] = []

    def duplicate(tx: Tx) -> None:
        attempts.append(1)
        raise IntegrityError('INSERT x', {}, sqlite3.IntegrityError('UNIQUE constraint failed'))

    with pytest.raises(IntegrityError):
        services.run_sync(duplicate)
    assert attempts == [1]


async def test_await_publishes_after_commit(services: ServiceRunner) -> None:
    alice = make_user(services, 'alice')
    bob = make_user(services, 'bob')
    heard: list[tuple[Event, Relation]] = []
    delivered = asyncio.Event()

    async def handler(event: Event) -> None:
        # What a listener is told about is already stored: it can read it back at once.
        relation, _ = services.run_sync(friendships.relation, actor_id=bob.id, other_id=alice.id)
        heard.append((event, relation))
        delivered.set()

    services.broker.subscribe(handler)
    await services.broker.start()
    try:
        with pytest.raises(Refused):
            await services(store_then_fail)
        result = await services(friendships.send_request, actor_id=alice.id, target_id=bob.id)
        await asyncio.wait_for(delivered.wait(), timeout=10)
    finally:
        await services.broker.stop()

    assert result == Relation.REQUESTED
    # The broker delivers in order, so the failed call's event would have come first.
    assert heard == [(FriendshipChanged(recipients=(alice.id, bob.id), user_ids=(alice.id, bob.id), status='pending'),
                      Relation.INCOMING)]
    assert 'ghost' not in _usernames(services)


async def test_await_returns_even_when_publishing_fails(services: ServiceRunner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = make_user(services, 'alice')
    bob = make_user(services, 'bob')

    async def broken(event: Event) -> None:
        raise ConnectionError('broker down')

    monkeypatch.setattr(services.broker, 'publish', broken)

    assert await services(friendships.send_request, actor_id=alice.id, target_id=bob.id) == Relation.REQUESTED
    relation, _ = services.run_sync(friendships.relation, actor_id=alice.id, other_id=bob.id)
    assert relation == Relation.REQUESTED  # committed all the same: views catch up from the database


def _usernames(services: ServiceRunner) -> list[str]:
    with Session(services.engine) as session:
        return sorted(session.exec(select(User.username)))


async def test_an_event_that_could_not_be_published_is_sent_again(services: ServiceRunner,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alice = make_user(services, 'alice')
    bob = make_user(services, 'bob')
    heard: list[Event] = []
    arrived = asyncio.Event()

    async def hear(event: Event) -> None:
        heard.append(event)
        arrived.set()

    services.broker.subscribe(hear)
    await services.broker.start()
    real_publish = services.broker.publish
    failures = [ConnectionError('broker down')]

    async def flaky(event: Event) -> None:
        if failures:
            raise failures.pop()
        await real_publish(event)

    monkeypatch.setattr(services.broker, 'publish', flaky)
    try:
        await services(friendships.send_request, actor_id=alice.id, target_id=bob.id)
        await asyncio.wait_for(arrived.wait(), timeout=10)
    finally:
        await services.broker.stop()
    assert heard == [FriendshipChanged(recipients=(alice.id, bob.id), user_ids=(alice.id, bob.id), status='pending')]


def test_a_busy_sqlite_file_is_reported_as_a_retryable_database_error(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holding the write lock past the timeout surfaces as SQLAlchemy's OperationalError, which the
    runner knows how to retry, not as a bare sqlite3 error raised from the BEGIN hook."""
    monkeypatch.setattr(sqlite_module, 'LOCK_TIMEOUT', 0.1)
    engine = make_sqlite_engine(make_url(f'sqlite:///{tmp_path / "busy.db"}'), pool_size=1)
    with engine.connect() as connection:  # the file exists, in WAL mode
        connection.exec_driver_sql('SELECT 1')
    other = sqlite3.connect(tmp_path / 'busy.db', isolation_level=None)
    other.execute('BEGIN IMMEDIATE')  # as another process would
    try:
        with engine.connect() as connection, pytest.raises(OperationalError, match='database is locked'):
            connection.exec_driver_sql('SELECT 1')
    finally:
        other.rollback()
        other.close()
        engine.dispose()
    assert _retryable(OperationalError('BEGIN IMMEDIATE', None, sqlite3.OperationalError('database is locked')))


@reads_only
def count_users(tx: Tx) -> int:
    return len(tx.session.exec(select(User)).all())


@reads_only
def writes_though_marked_a_reader(tx: Tx) -> None:
    tx.session.add(User(username='sneaky', password_hash='x'))


def test_a_reader_does_not_wait_for_the_write_turn(services: ServiceRunner) -> None:
    """On SQLite a ``reads_only`` service reads its snapshot while a writer holds the turn (on PostgreSQL there is
    no turn). The writer's row, not yet committed, is not in what the reader sees."""
    make_user(services, 'alice')
    writing, written = threading.Event(), threading.Event()

    def writer(tx: Tx) -> None:
        tx.session.add(User(username='bob', password_hash='x'))
        tx.session.flush()
        writing.set()
        assert written.wait(timeout=30)

    thread = threading.Thread(target=services.run_sync, args=(writer,))
    thread.start()
    try:
        assert writing.wait(timeout=30)
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(services.run_sync(count_users)[0]))
        reader.start()
        reader.join(timeout=10)  # without the mark it would wait for the turn, here for the writer's whole test
        assert not reader.is_alive()
        assert seen == [1]
    finally:
        written.set()
        thread.join()
    assert services.run_sync(count_users)[0] == 2


def test_a_writer_still_waits_for_the_turn(tmp_path: Path) -> None:
    """The reader's path takes nothing away from writers: a second writer waits while the first holds the turn."""
    engine = make_sqlite_engine(make_url(f'sqlite:///{tmp_path / "turn.db"}'), pool_size=2)
    try:
        with engine.connect() as first:
            first.exec_driver_sql('CREATE TABLE t (x INTEGER)')
            first.commit()
            first.exec_driver_sql('INSERT INTO t VALUES (1)')  # holds the turn until the commit below
            done = threading.Event()

            def second() -> None:
                with engine.connect() as other:
                    other.exec_driver_sql('INSERT INTO t VALUES (2)')
                    other.commit()
                done.set()

            thread = threading.Thread(target=second)
            thread.start()
            assert not done.wait(timeout=0.5)
            first.commit()
            thread.join(timeout=30)
            assert done.is_set()
    finally:
        engine.dispose()


def test_a_reader_that_writes_is_still_atomic_and_logged(services: ServiceRunner,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    before = sqlite_module.misdeclared_writes
    try:
        services.run_sync(writes_though_marked_a_reader)
        assert services.run_sync(count_users)[0] == 1
        if services.engine.dialect.name == 'sqlite':
            assert 'begun as reads_only wrote' in caplog.text
            assert sqlite_module.misdeclared_writes == before + 1
    finally:
        sqlite_module.misdeclared_writes = before  # expected here: not a wrong mark
