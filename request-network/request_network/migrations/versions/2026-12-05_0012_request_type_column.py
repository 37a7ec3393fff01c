"""request.kind is request.request_type

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:00:00.000000

The column takes the name the response network and the `requests` stream record use. No
index names the column, so only the column is renamed (batch mode: SQLite rebuilds the
table, PostgreSQL renames in place).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.alter_column("kind", new_column_name="request_type")


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.alter_column("request_type", new_column_name="kind")
