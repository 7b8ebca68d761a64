"""Full-text search over messages (``chatapp.services.search``): the index each backend offers, over the text of the
messages that can be found, that is text messages (not timeline events) that are not deleted.

SQLite: an FTS5 table ``message_search`` with external content (``content='message'``: it keeps the index only, the
text stays in ``message``), kept in step by three triggers and filled from the existing rows here. Its tokenizer is
``unicode61`` with diacritics removed ("café" finds "cafe") and with combining marks kept inside words (categories
``L* N* Co M*``; the default splits Hindi or Thai words at every vowel sign). It does not stem: messages are written
in many languages, and a stemmer of one language mangles the others.

PostgreSQL: a GIN index ``ix_message_search`` on ``to_tsvector('simple', body)``, partial like the SQLite index. The
``simple`` configuration lowercases words and neither stems nor drops stop words, for the same reason: the
``english`` one would stem "Paris" to "pari" and drop "the" and "who" (a search for "The Who" would find nothing),
and would treat every other language as badly spelt English. The service must repeat the index's expression and its
predicate exactly (the same configuration as a constant) for the planner to use it.

The models cannot describe either (an FTS5 virtual table, an expression index): ``chatapp.migrate.include_name``
leaves exactly these objects out of the comparison with the models. A later revision that copies ``message`` on
SQLite (``batch_alter_table('message')``) drops its triggers with the old table and must create them again.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOUND = "kind = 'text' AND deleted_at IS NULL"
"""Which messages are in the index (the triggers and the service's queries repeat it)."""
TRIGGERS = ('message_search_insert', 'message_search_delete', 'message_search_update')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _upgrade_sqlite()
        return
    op.create_index('ix_message_search', 'message', [sa.text("to_tsvector('simple'::regconfig, body)")],
                    postgresql_using='gin', postgresql_where=sa.text(FOUND))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
        op.execute('DROP TABLE IF EXISTS message_search')  # its shadow tables go with it
        return
    op.drop_index('ix_message_search', table_name='message')


def _upgrade_sqlite() -> None:
    op.execute("CREATE VIRTUAL TABLE message_search USING fts5(body, content='message', content_rowid='id', "
               "tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")")
    # An external-content index forgets a row only when told the text it holds: each trigger says exactly that, and
    # each repeats FOUND for the old or the new row.
    op.execute("""
        CREATE TRIGGER message_search_insert AFTER INSERT ON message
        WHEN new.kind = 'text' AND new.deleted_at IS NULL BEGIN
            INSERT INTO message_search(rowid, body) VALUES (new.id, new.body);
        END""")
    op.execute("""
        CREATE TRIGGER message_search_delete AFTER DELETE ON message
        WHEN old.kind = 'text' AND old.deleted_at IS NULL BEGIN
            INSERT INTO message_search(message_search, rowid, body) VALUES ('delete', old.id, old.body);
        END""")
    # Only a change to what the index holds fires it: reactions and edits' counters touch other columns.
    op.execute("""
        CREATE TRIGGER message_search_update AFTER UPDATE OF body, kind, deleted_at ON message BEGIN
            INSERT INTO message_search(message_search, rowid, body) SELECT 'delete', old.id, old.body
                WHERE old.kind = 'text' AND old.deleted_at IS NULL;
            INSERT INTO message_search(rowid, body) SELECT new.id, new.body
                WHERE new.kind = 'text' AND new.deleted_at IS NULL;
        END""")
    op.execute("INSERT INTO message_search(rowid, body) SELECT id, body FROM message "
               "WHERE kind = 'text' AND deleted_at IS NULL")
