"""Message changes, reactions, replies, mentions, profiles and blocks: messages get an edit time, a delete time, a
change number and the message they reply to; conversations a change counter; members the newest mention of them;
accounts an "about" line, a sign-in epoch and a deletion time; new tables for reactions and blocks.

Existing rows keep everything they had: no message is edited, deleted or changed (``change_seq = 0``), nobody is
mentioned, every account is live at epoch 0.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('change_seq', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('reply_seq', sa.Integer(), nullable=True))
    op.create_index('ix_message_changes', 'message', ['conversation_id', 'change_seq'])

    with op.batch_alter_table('conversation') as batch:
        batch.add_column(sa.Column('change_seq', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('conversationmember') as batch:
        batch.add_column(sa.Column('mention_seq', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('about', sa.String(length=140), nullable=False, server_default=''))
        batch.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'reaction',
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('message.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('emoji', sa.String(length=16), primary_key=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_reaction_user_id', 'reaction', ['user_id'])
    op.create_table(
        'blocking',
        sa.Column('blocker_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('blocked_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_blocking_blocked_id', 'blocking', ['blocked_id'])


def downgrade() -> None:
    op.drop_index('ix_blocking_blocked_id', table_name='blocking')
    op.drop_table('blocking')
    op.drop_index('ix_reaction_user_id', table_name='reaction')
    op.drop_table('reaction')
    with op.batch_alter_table('user') as batch:
        for column in ('deleted_at', 'session_epoch', 'about'):
            batch.drop_column(column)
    with op.batch_alter_table('conversationmember') as batch:
        batch.drop_column('mention_seq')
    with op.batch_alter_table('conversation') as batch:
        batch.drop_column('change_seq')
    op.drop_index('ix_message_changes', table_name='message')
    with op.batch_alter_table('message') as batch:
        for column in ('reply_seq', 'change_seq', 'deleted_at', 'edited_at'):
            batch.drop_column(column)
