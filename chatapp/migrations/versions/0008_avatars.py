"""Profile pictures: accounts get a nullable ``avatar``, the SHA-256 of their picture's largest square size (the
files themselves live in the avatar store, ``chatapp.files.avatars``). Existing accounts have none and keep showing
their initials.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('avatar', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.drop_column('avatar')
