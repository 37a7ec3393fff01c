"""request retry and cancel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:00:00.000000

`retries` counts an admin's retries of a failed request (each one is audited with the failure
it ended); `cancel_requested_at` is imported from the request network when its owner cancels
it. `cancelled` is a new value of the `status` string, which needs no change of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("cancel_requested_at")
        batch_op.drop_column("retries")
