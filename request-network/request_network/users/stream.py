"""The `users` stream, replica side: the only way users and API keys get written here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit
from request_network.api_keys.models import ApiKey
from request_network.users.models import User
from shared.records import UsersStreamRecord
from shared.streams import USERS_STREAM, ApplyOutcome, InboundStream
from shared.upsert import versioned_upsert


async def apply_user_records(
    session: AsyncSession, records: Sequence[UsersStreamRecord]
) -> ApplyOutcome:
    """Versioned upsert of users and keys; a deactivation or revocation takes effect here."""
    users: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for record in records:
        # The validated fields as they are (no serialisation pass): the hot path of imports.
        row = dict(record.root.__dict__)
        kind = row.pop("kind")
        (users if kind == "user" else keys).append(row)
    user_table: Table = User.__table__  # type: ignore[assignment]
    key_table: Table = ApiKey.__table__  # type: ignore[assignment]
    applied = await versioned_upsert(session=session, table=user_table, rows=users)
    applied += await versioned_upsert(session=session, table=key_table, rows=keys)
    return ApplyOutcome(applied=applied)


USERS_IN = InboundStream(USERS_STREAM, UsersStreamRecord, apply_user_records)


def users_inbound(on_change: Callable[[], None]) -> InboundStream:
    """The `users` stream that also calls `on_change` once an import that changed users
    committed (the API process drops the principals it trusted)."""

    async def apply(session: AsyncSession, records: Sequence[UsersStreamRecord]) -> ApplyOutcome:
        outcome = await apply_user_records(session, records)
        if outcome.applied:

            async def changed() -> None:
                on_change()

            after_commit(session, changed)
        return outcome

    return InboundStream(USERS_STREAM, UsersStreamRecord, apply)
