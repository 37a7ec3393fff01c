"""per-type rate limits on profiles and grants

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 07:00:00.000000

Existing profiles and grants get no per-type limits (`{}`): nothing changes for their users
until an admin sets some.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY = sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("type_limits", sa.JSON(), nullable=False, server_default=EMPTY)
        )
    with op.batch_alter_table("type_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("limits", sa.JSON(), nullable=False, server_default=EMPTY))


def downgrade() -> None:
    with op.batch_alter_table("type_grant", schema=None) as batch_op:
        batch_op.drop_column("limits")
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("type_limits")
