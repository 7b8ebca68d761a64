"""The Alembic revisions build exactly the schema the models describe, and upgrading never loses data."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, inspect, text
from sqlmodel import Session, SQLModel, select

import models
from chatapp.db import make_engine
from chatapp.migrate import SCRIPT_LOCATION, downgrade, make_config, migration_connection, upgrade

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
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(make_config()).get_current_head()
