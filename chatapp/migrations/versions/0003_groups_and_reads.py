"""Groups, read positions and privacy: conversations get a title and a last-activity time, members a role, a join
point, a read position and a mute flag, messages a kind (text or timeline event), accounts their privacy choices and
when they were last seen.

Existing conversations keep their messages. Their members start with everything read (``read_seq = last_seq``): an
upgrade must not greet everyone with their whole history as unread. ``last_activity_at`` starts at the newest
message's time (or the conversation's creation), so the inbox's order is right from the first start.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New NOT NULL columns keep a server default: existing rows are filled in place on both backends, and rows
    # written by plain SQL (seeding tools, older processes during a rolling start) still get a value.
    with op.batch_alter_table('conversation') as batch:
        batch.add_column(sa.Column('title', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        'UPDATE conversation SET last_activity_at = COALESCE('
        '(SELECT MAX(message.created_at) FROM message WHERE message.conversation_id = conversation.id), '
        'conversation.created_at)'))
    with op.batch_alter_table('conversation') as batch:
        batch.alter_column('last_activity_at', existing_type=sa.DateTime(timezone=True), nullable=False,
                           server_default=sa.text('CURRENT_TIMESTAMP'))
    op.create_index('ix_conversation_activity', 'conversation', ['last_activity_at'])

    with op.batch_alter_table('conversationmember') as batch:
        batch.add_column(sa.Column('role', sa.String(length=16), nullable=False, server_default='member'))
        batch.add_column(sa.Column('joined_seq', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('read_seq', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('muted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text(
        'UPDATE conversationmember SET read_seq = (SELECT conversation.last_seq FROM conversation '
        'WHERE conversation.id = conversationmember.conversation_id)'))

    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='text'))

    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('read_receipts', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('show_presence', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.drop_column('last_seen_at')
        batch.drop_column('show_presence')
        batch.drop_column('read_receipts')
    with op.batch_alter_table('message') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('conversationmember') as batch:
        for column in ('muted', 'read_at', 'read_seq', 'joined_seq', 'role'):
            batch.drop_column(column)
    op.drop_index('ix_conversation_activity', table_name='conversation')
    with op.batch_alter_table('conversation') as batch:
        batch.drop_column('last_activity_at')
        batch.drop_column('title')
