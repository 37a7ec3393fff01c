"""request network login

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

user = sa.table(
    "user",
    sa.column("id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("version", sa.Integer()),
)
change_log = sa.table(
    "change_log",
    sa.column("stream", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_id", sa.Uuid()),
    sa.column("changed_at", sa.DateTime(timezone=True)),
)
STAFF_WITH_HASH = sa.and_(user.c.role.in_(("admin", "operator")), user.c.password_hash.isnot(None))


def upgrade() -> None:
    # Off for every existing account: an admin's or operator's hash stops crossing to the
    # exposed network until an admin turns it on (plain users' hashes cross regardless).
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "request_network_login", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # Re-export those accounts so the replica's copies of their hashes are cleared now, not at
    # their next change.
    op.execute(user.update().where(STAFF_WITH_HASH).values(version=user.c.version + 1))
    op.execute(
        change_log.insert().from_select(
            ["stream", "record_type", "record_id", "changed_at"],
            sa.select(
                sa.literal("users"),
                sa.literal("user"),
                user.c.id,
                sa.literal(datetime.now(UTC), sa.DateTime(timezone=True)),
            ).where(STAFF_WITH_HASH),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("request_network_login")
