"""PostgreSQL's message search from the searcher's own conversations: a side table ``message_search_pg`` kept in step
with ``message`` by a trigger, in place of revision 0005's GIN index (SQLite keeps its FTS5 table unchanged).

Revision 0005's GIN index on ``to_tsvector('simple', body)`` missed the 50 ms target of a search for a person in 300
busy conversations (docs/benchmarks.md, scenario l): the index knows nothing of conversations, so a common word
means reading its half a million matches anywhere (85 ms for "the"), and the alternative, reading the person's own
messages, parsed each one with ``to_tsvector`` again (9 µs a message, 210 ms for 23,000). This table holds, for every
message that can be found (``FOUND``, as in 0005), its words parsed once when it is written, and its primary key is
``(conversation_id, seq)`` carrying ``message_id`` and the words as included columns. A search then reads, for each
of the person's conversations, the key range after the point they joined (``seq > joined_seq``), newest first, from
the index alone (an index-only scan: no table page, no parsing), checking each message's stored words against the
query; a conversation stops at the newest 200 matches. Measured on scenario l, see ``chatapp.services.search``
and docs/benchmarks.md for what else was tried (a ``btree_gin`` index on ``(conversation_id, tsv)`` was slower).

The words are ``strip``ped of positions: the service matches with ``plainto_tsquery``, which only joins words with
``&``, so positions are never read, and stripping makes the table and its key a quarter smaller. The table has no
foreign key: the trigger removes a message's row when the message goes (a conversation's delete cascades to its
messages, and so through the trigger), and a key check on every message written would only cost. Rows follow
``message`` in the same transaction, so a search sees exactly the committed messages its snapshot sees.

0005's GIN index is dropped: no query uses it any more, and every message written paid for it. The models cannot
describe the table, its trigger or its function; ``chatapp.migrate.include_name`` leaves the table out of the
comparison with the models as it does 0005's objects. Nothing here needs an extension or a superuser.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOUND = "kind = 'text' AND deleted_at IS NULL"
"""Which messages are in the table, as in revision 0005 (the triggers and the fill below repeat it)."""
# A message's words are stored as strip(to_tsvector('simple'::regconfig, body)), 0005's configuration (lowercased,
# no stemming, no stop words): the function and the fill below repeat it.
TRIGGERS = ('message_search_pg_insert', 'message_search_pg_delete', 'message_search_pg_update')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE TABLE message_search_pg (conversation_id integer NOT NULL, seq integer NOT NULL, '
               'message_id integer NOT NULL, words tsvector NOT NULL, CONSTRAINT pk_message_search_pg '
               'PRIMARY KEY (conversation_id, seq) INCLUDE (message_id, words))')
    # SET search_path FROM CURRENT: the function finds the table of its own schema whatever the caller's path is.
    op.execute("""
        CREATE FUNCTION message_search_pg_sync() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                DELETE FROM message_search_pg WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.kind = 'text' AND NEW.deleted_at IS NULL THEN
                INSERT INTO message_search_pg (conversation_id, seq, message_id, words)
                VALUES (NEW.conversation_id, NEW.seq, NEW.id, strip(to_tsvector('simple'::regconfig, NEW.body)));
            END IF;
            RETURN NULL;
        END
        $$""")
    op.execute("CREATE TRIGGER message_search_pg_insert AFTER INSERT ON message FOR EACH ROW "
               "WHEN (NEW.kind = 'text' AND NEW.deleted_at IS NULL) EXECUTE FUNCTION message_search_pg_sync()")
    op.execute("CREATE TRIGGER message_search_pg_delete AFTER DELETE ON message FOR EACH ROW "
               "WHEN (OLD.kind = 'text' AND OLD.deleted_at IS NULL) EXECUTE FUNCTION message_search_pg_sync()")
    # Only a change to what the table holds fires it: reactions and edits' counters touch other columns, and an
    # UPDATE that lists a column without changing it (an ORM flush) is skipped by the WHEN.
    op.execute('CREATE TRIGGER message_search_pg_update AFTER UPDATE OF body, kind, deleted_at, conversation_id, seq '
               'ON message FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body OR OLD.kind IS DISTINCT FROM NEW.kind '
               'OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.conversation_id <> NEW.conversation_id '
               'OR OLD.seq <> NEW.seq) EXECUTE FUNCTION message_search_pg_sync()')
    op.execute("INSERT INTO message_search_pg (conversation_id, seq, message_id, words) "
               "SELECT conversation_id, seq, id, strip(to_tsvector('simple'::regconfig, body)) FROM message "
               "WHERE kind = 'text' AND deleted_at IS NULL")
    op.drop_index('ix_message_search', table_name='message')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_message_search', 'message', [sa.text("to_tsvector('simple'::regconfig, body)")],
                    postgresql_using='gin', postgresql_where=sa.text(FOUND))
    for trigger in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON message')
    op.execute('DROP FUNCTION IF EXISTS message_search_pg_sync()')
    op.execute('DROP TABLE IF EXISTS message_search_pg')
