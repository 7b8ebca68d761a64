"""Message search finds Chinese, Japanese and Korean text: every ideograph, kana and hangul character is indexed as
a word of its own (``chatapp.cjk``), and the service matches a run of them as a phrase. Before, a run of such
characters was one word on both backends, so "你好" did not find "我们你好吗".

SQLite: revision 0005's FTS5 table and tokenizer stay; its triggers now index ``chatapp_cjk_spaced(body)``, the text
with a space either side of each CJK character (``chatapp.cjk.spaced``, a Python function that ``chatapp.sqlite``
registers on every connection; no tokenizer option can split a run into characters, and a custom tokenizer would be
a C extension). ASCII text comes back unchanged, so what the index holds for it is as before. The index no longer
equals ``message.body`` for messages with CJK text: FTS5's ``rebuild`` and ``integrity-check`` must not be used, and
a later revision that copies ``message`` (``batch_alter_table``) must create these triggers again.

PostgreSQL: revision 0007's trigger function stores, for a message with CJK text, ``to_tsvector`` of the text with
the same spaces (``regexp_replace`` over the same ranges) and keeps its positions, which the phrase operator ``<->``
needs; other messages keep their stripped words. On both paths ASCII punctuation is read as a space first, as on
SQLite, so that text that looks like an HTML tag ("if a<b and c>d") keeps its words and "example.com" is two
(``_pg_words``).

Only the messages with CJK text are indexed anew here. Changing ``chatapp.cjk.CJK_RANGES`` needs a revision that
does the same, because each backend forgets a message's words by recomputing them from its text.

Revision ID: 0009
Revises: 0008
"""

import string
from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOUND = "kind = 'text' AND deleted_at IS NULL"
"""Which messages are indexed, as in revisions 0005 and 0007."""
SPACED = 'chatapp_cjk_spaced'
"""``chatapp.cjk.SQLITE_FUNCTION``."""
CJK_RANGES = ((0x1100, 0x11FF), (0x3000, 0x31FF), (0x3400, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
              (0xF900, 0xFAFF), (0xFF61, 0xFFDC), (0x1AFF0, 0x1B16F), (0x20000, 0x3FFFF))
"""``chatapp.cjk.CJK_RANGES`` as this revision indexed them (a revision does not follow later edits of the app)."""
PG_CJK = '[' + ''.join(f'\\U{first:08X}-\\U{last:08X}' for first, last in CJK_RANGES) + ']'
"""The ranges as a PostgreSQL regular expression (``\\U`` escapes: the SQL stays ASCII)."""


PUNCTUATION = "'" + string.punctuation.replace("'", "''") + "'"
"""ASCII punctuation as an SQL string literal."""


def _pg_words(body: str, *, current: bool = True) -> str:
    """The words of ``body`` as the side table stores them: this revision's, or (``current=False``) 0007's.

    This revision also writes ASCII punctuation as spaces first, as the SQLite tokenizer and ``search_text`` read
    it: the default parser took ``<b and x>`` or ``<script>`` for an HTML tag, which the ``simple`` configuration
    drops ("if a<b and c>d" lost its words), and kept "example.com" or "me@x.org" whole, where a search for
    "example" looks for the word alone."""
    if not current:
        return f"strip(to_tsvector('simple'::regconfig, {body}))"
    text = f"translate({body}, {PUNCTUATION}, '{' ' * len(string.punctuation)}')"
    return (f"CASE WHEN {body} ~ '{PG_CJK}' THEN to_tsvector('simple'::regconfig, "
            f"regexp_replace({text}, '{PG_CJK}', ' \\& ', 'g')) "
            f"ELSE strip(to_tsvector('simple'::regconfig, {text})) END")


CHANGED = f"(m.body ~ '{PG_CJK}' OR m.body <> translate(m.body, {PUNCTUATION}, ''))"
"""The messages whose stored words this revision changes on PostgreSQL."""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_triggers(f'{SPACED}(old.body)', f'{SPACED}(new.body)')
        _sqlite_reindex(old='body', new=f'{SPACED}(body)')
        return
    _pg_function(_pg_words('NEW.body'))
    op.execute(f'UPDATE message_search_pg AS s SET words = {_pg_words("m.body")} FROM message AS m '
               f'WHERE m.conversation_id = s.conversation_id AND m.seq = s.seq AND {CHANGED}')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_reindex(old=f'{SPACED}(body)', new='body')
        _sqlite_triggers('old.body', 'new.body')
        return
    _pg_function(_pg_words('NEW.body', current=False))
    op.execute(f'UPDATE message_search_pg AS s SET words = {_pg_words("m.body", current=False)} FROM message AS m '
               f'WHERE m.conversation_id = s.conversation_id AND m.seq = s.seq AND {CHANGED}')


def _sqlite_triggers(old_text: str, new_text: str) -> None:
    """Revision 0005's three triggers, indexing ``new_text`` and forgetting ``old_text``."""
    for trigger in ('message_search_insert', 'message_search_delete', 'message_search_update'):
        op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
    op.execute(f"""
        CREATE TRIGGER message_search_insert AFTER INSERT ON message
        WHEN new.kind = 'text' AND new.deleted_at IS NULL BEGIN
            INSERT INTO message_search(rowid, body) VALUES (new.id, {new_text});
        END""")
    op.execute(f"""
        CREATE TRIGGER message_search_delete AFTER DELETE ON message
        WHEN old.kind = 'text' AND old.deleted_at IS NULL BEGIN
            INSERT INTO message_search(message_search, rowid, body) VALUES ('delete', old.id, {old_text});
        END""")
    op.execute(f"""
        CREATE TRIGGER message_search_update AFTER UPDATE OF body, kind, deleted_at ON message BEGIN
            INSERT INTO message_search(message_search, rowid, body) SELECT 'delete', old.id, {old_text}
                WHERE old.kind = 'text' AND old.deleted_at IS NULL;
            INSERT INTO message_search(rowid, body) SELECT new.id, {new_text}
                WHERE new.kind = 'text' AND new.deleted_at IS NULL;
        END""")


def _sqlite_reindex(*, old: str, new: str) -> None:
    """Index anew the messages whose words change: those where the two texts differ, that is with CJK text."""
    changed = f'{FOUND} AND {SPACED}(body) <> body'
    op.execute(f"INSERT INTO message_search(message_search, rowid, body) SELECT 'delete', id, {old} FROM message "
               f'WHERE {changed}')
    op.execute(f'INSERT INTO message_search(rowid, body) SELECT id, {new} FROM message WHERE {changed}')


def _pg_function(words: str) -> None:
    """Revision 0007's trigger function, storing ``words``; its triggers call it by name and stay."""
    op.execute(f"""
        CREATE OR REPLACE FUNCTION message_search_pg_sync() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                DELETE FROM message_search_pg WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.kind = 'text' AND NEW.deleted_at IS NULL THEN
                INSERT INTO message_search_pg (conversation_id, seq, message_id, words)
                VALUES (NEW.conversation_id, NEW.seq, NEW.id, {words});
            END IF;
            RETURN NULL;
        END
        $$""")
