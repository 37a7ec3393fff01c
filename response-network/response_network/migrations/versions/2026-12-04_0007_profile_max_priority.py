"""profile max priority

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00.000000

Existing profiles get 5, the default priority of a submission: requests sent without a
priority keep working, a raised priority needs a profile an admin raised. The request
network's copy of each profile gets the same value in its own migration, so the two agree
without a re-export.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_priority", sa.Integer(), nullable=False, server_default="5")
        )


def downgrade() -> None:
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("max_priority")
