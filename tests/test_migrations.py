"""The Alembic revisions build exactly the schema the models describe, and upgrading never loses data."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, inspect, text
from sqlmodel import Session, SQLModel, select

import models
from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.db import make_engine
from chatapp.migrate import SCRIPT_LOCATION, downgrade, include_name, make_config, migration_connection, upgrade
from chatapp.services import conversations
from chatapp.settings import Settings

TABLES = {'user', 'friendship', 'conversation', 'conversationmember', 'message', 'login_failure'}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """Fails when a model changes without a revision: write one with ``python -m chatapp.migrate revision``."""
    upgrade(engine)
    assert schema_differences(engine, SQLModel.metadata) == []
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_the_comparison_notices_a_missing_revision(engine: Engine) -> None:
    upgrade(engine)
    changed = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables['user'].append_column(Column('bio', String(200)))
    assert [diff[0] for diff in schema_differences(engine, changed)] == ['add_column']


def test_the_search_index_exists_and_only_it_is_left_out(engine: Engine) -> None:
    """The comparison skips exactly the search objects: they are there, and a table or an index of the same kind
    that no model has is still reported."""
    upgrade(engine)
    names = set(inspect(engine).get_table_names())
    indexes = {index['name'] for index in inspect(engine).get_indexes('message')}
    if engine.dialect.name == 'sqlite':
        assert 'message_search' in names
        stray = ["CREATE VIRTUAL TABLE stray_search USING fts5(body)", 'CREATE INDEX ix_stray ON message (body)']
    else:  # revision 0007's side table took the place of 0005's GIN index
        assert 'message_search_pg' in names and 'ix_message_search' not in indexes
        stray = ['CREATE TABLE stray_search (body text)',
                 "CREATE INDEX ix_stray ON message USING gin (to_tsvector('simple'::regconfig, body))"]
    with engine.begin() as connection:
        for statement in stray:
            connection.execute(text(statement))
    found = {(diff[0], getattr(diff[1], 'name', None)) for diff in schema_differences(engine, SQLModel.metadata)}
    assert {('remove_table', 'stray_search'), ('remove_index', 'ix_stray')} <= found


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_data_survives_a_restart(engine: Engine, db_url: str) -> None:
    upgrade(engine)
    with Session(engine) as session:
        session.add(models.User(username='ada', display_name='Ada', password_hash='x'))
        session.commit()
    engine.dispose()

    restarted = make_engine(db_url)
    try:
        upgrade(restarted)
        with Session(restarted) as session:
            assert [user.username for user in session.exec(select(models.User))] == ['ada']
    finally:
        restarted.dispose()


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, 'base')
    assert not TABLES & set(inspect(engine).get_table_names())
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine, SQLModel.metadata) == []


def test_processes_starting_together_migrate_once(engine: Engine, db_url: str) -> None:
    """Two app processes may start at once against one database: both start, neither fails on the other's tables.

    Threads stand in for processes, each with its own engine; without the lock this fails with 'alembic_version
    already exists' on both backends."""
    engines = [make_engine(db_url) for _ in range(3)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(own: Engine) -> None:
        barrier.wait()
        try:
            upgrade(own)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start, args=(own,)) for own in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for own in engines:
        own.dispose()
    assert errors == []
    assert current_revision(engine) == head_revision()


def test_a_batch_migration_keeps_child_rows(engine: Engine, tmp_path: Path) -> None:
    """SQLite alters a table by copying it and dropping the original; with foreign keys enforced, the drop would
    cascade into every child row. A later revision that alters ``user`` must leave messages alone."""
    scripts = tmp_path / 'migrations'
    shutil.copytree(SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns('__pycache__'))
    (scripts / 'versions' / '0099_bio.py').write_text(BIO_REVISION.format(head=head_revision()), encoding='utf-8')
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO \"user\" (id, username, display_name, password_hash, created_at) "
                                "VALUES (1, 'ada', 'Ada', 'x', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO conversation (id, kind, last_seq, created_at) "
                                "VALUES (1, 'direct', 1, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO message (conversation_id, seq, sender_id, body, created_at) "
                                "VALUES (1, 1, 1, 'hello', CURRENT_TIMESTAMP)"))

    with migration_connection(engine) as connection:
        command.upgrade(make_config(connection, script_location=scripts), 'head')

    with engine.connect() as connection:
        assert connection.execute(text('SELECT body FROM message')).scalars().all() == ['hello']
        assert connection.execute(text('SELECT bio FROM "user"')).scalars().all() == [None]
        if engine.dialect.name == 'sqlite':  # enforcement is back on for the pooled connection
            assert connection.execute(text('PRAGMA foreign_keys')).scalar() == 1


def test_an_issue_7_database_keeps_its_conversations_and_reads_them_as_read(engine: Engine,
                                                                            settings: Settings) -> None:
    """A database of the app before groups (revision 0002), filled through its own schema, upgraded to head: every
    conversation and message is there, nothing shows as unread, and the inbox order comes from the newest message."""
    upgrade(engine, '0002')
    old = MetaData()
    old.reflect(engine)  # the tables as revision 0002 made them: a column it did not have would fail the inserts
    start = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    with engine.begin() as connection:
        connection.execute(old.tables['user'].insert(), [
            {'id': n, 'username': name, 'display_name': name.title(), 'password_hash': 'x', 'created_at': start}
            for n, name in enumerate(('ada', 'bea', 'cy'), start=1)])
        connection.execute(old.tables['friendship'].insert(), [
            {'user_low_id': 1, 'user_high_id': 2, 'requester_id': 1, 'status': 'accepted', 'created_at': start,
             'accepted_at': start},
            {'user_low_id': 1, 'user_high_id': 3, 'requester_id': 3, 'status': 'accepted', 'created_at': start,
             'accepted_at': start}])
        connection.execute(old.tables['conversation'].insert(), [
            {'id': 1, 'kind': 'direct', 'direct_key': '1:2', 'last_seq': 3, 'created_at': start},
            {'id': 2, 'kind': 'direct', 'direct_key': '1:3', 'last_seq': 0, 'created_at': start + minute}])
        connection.execute(old.tables['conversationmember'].insert(), [
            {'conversation_id': c, 'user_id': u, 'joined_at': start} for c, u in ((1, 1), (1, 2), (2, 1), (2, 3))])
        connection.execute(old.tables['message'].insert(), [
            {'conversation_id': 1, 'seq': n, 'sender_id': 1 + n % 2, 'body': f'old {n}',
             'created_at': start + n * minute, 'client_txn': f'txn0000{n}'} for n in (1, 2, 3)])

    upgrade(engine)

    with engine.connect() as connection:
        messages = connection.execute(text('SELECT conversation_id, seq, sender_id, body, kind FROM message '
                                           'ORDER BY seq')).all()
        assert [tuple(m) for m in messages] == [(1, n, 1 + n % 2, f'old {n}', 'text') for n in (1, 2, 3)]
        members = connection.execute(text('SELECT conversation_id, user_id, read_seq, joined_seq, role, muted '
                                          'FROM conversationmember ORDER BY conversation_id, user_id')).all()
        assert [tuple(m) for m in members] == [(1, 1, 3, 0, 'member', False), (1, 2, 3, 0, 'member', False),
                                               (2, 1, 0, 0, 'member', False), (2, 3, 0, 0, 'member', False)]
        rows = connection.execute(text('SELECT id, kind, title, last_seq, last_activity_at FROM conversation '
                                       'ORDER BY id')).all()
    activity = {row.id: _utc(row.last_activity_at) for row in rows}
    assert [(row.id, row.kind, row.title, row.last_seq) for row in rows] == [(1, 'direct', None, 3),
                                                                             (2, 'direct', None, 0)]
    assert activity == {1: start + 3 * minute, 2: start + minute}  # the newest message, or the creation

    runner = make_runner(settings, MemoryBroker())  # the app on the upgraded database
    try:
        info, _ = runner.run_sync(conversations.open_direct, actor_id=2, peer_username='ada')
        assert [m.body for m in info.messages] == ['old 1', 'old 2', 'old 3']
        assert (info.last_seq, info.read_seq, info.title) == (3, 3, 'Ada')
        message, _ = runner.run_sync(conversations.send_message, actor_id=2, conversation_id=1, body='new')
        assert message.seq == 4
    finally:
        runner.shutdown()
        runner.engine.dispose()


def _utc(value: datetime | str) -> datetime:
    """A stored time as UTC (SQLite's plain SQL hands back text, naive)."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


BIO_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = '0099'
down_revision = '{head}'


def upgrade() -> None:
    with op.batch_alter_table('user') as batch_op:  # SQLite must copy the table to change a column's type
        batch_op.add_column(sa.Column('bio', sa.String(length=200), nullable=True))
        batch_op.alter_column('display_name', type_=sa.String(length=100), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('user') as batch_op:
        batch_op.alter_column('display_name', type_=sa.String(length=64), existing_nullable=False)
        batch_op.drop_column('bio')
'''


def schema_differences(engine: Engine, metadata: MetaData) -> list:
    """What differs, leaving out only the search index the models cannot describe (as ``env.py`` does)."""
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={'include_name': include_name}),
                                metadata)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(make_config()).get_current_head()
