"""The initial schema: accounts, friendships, one-to-one conversations, messages, failed logins.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:28:33.161681
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=32), nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_username', 'user', ['username'], unique=True)

    op.create_table(
        'conversation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('direct_key', sa.String(length=64), nullable=True),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('direct_key'),
    )

    op.create_table(
        'conversationmember',
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('conversation_id', 'user_id'),
    )
    op.create_index('ix_conversationmember_user_id', 'conversationmember', ['user_id'])

    op.create_table(
        'friendship',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_low_id', sa.Integer(), nullable=False),
        sa.Column('user_high_id', sa.Integer(), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('user_low_id < user_high_id', name='ck_friendship_ordered'),
        sa.ForeignKeyConstraint(['requester_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_high_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_low_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_low_id', 'user_high_id', name='uq_friendship_pair'),
    )
    op.create_index('ix_friendship_user_low_id', 'friendship', ['user_low_id'])
    op.create_index('ix_friendship_user_high_id', 'friendship', ['user_high_id'])

    op.create_table(
        'message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.String(length=4000), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sender_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'seq', name='uq_message_conversation_seq'),
    )

    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_failure_key_at', 'login_failure', ['key', 'at'])


def downgrade() -> None:
    # dropping a table drops its indexes; children before parents
    for table in ('login_failure', 'message', 'friendship', 'conversationmember', 'conversation', 'user'):
        op.drop_table(table)
