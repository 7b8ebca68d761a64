"""Messages remember the transaction id their sender's page gave them, unique per sender, so a retried send is
stored once.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column and an index: no table rewrite on either backend, and existing messages keep NULL (NULLs
    # never collide in a unique index).
    op.add_column('message', sa.Column('client_txn', sa.String(length=40), nullable=True))
    op.create_index('ux_message_sender_txn', 'message', ['sender_id', 'client_txn'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_message_sender_txn', table_name='message')
    with op.batch_alter_table('message') as batch:
        batch.drop_column('client_txn')
