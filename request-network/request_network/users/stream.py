"""The `users` stream, replica side: the only way users and API keys get written here, but
for a user's own password change, which travels to the master on the `requests` stream."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit
from request_network.api_keys.models import ApiKey
from request_network.users.models import PasswordChange, Role, User
from shared.records import ApiKeyRecord, PasswordChangeRecord, UserRecord, UsersStreamRecord
from shared.streams import IN_CHUNK, USERS_STREAM, ApplyOutcome, InboundStream, load_changed
from shared.upsert import versioned_upsert_records

_USER_TABLE: Table = User.__table__  # type: ignore[assignment]
_KEY_TABLE: Table = ApiKey.__table__  # type: ignore[assignment]
_USER_COLUMNS = tuple(name for name in UserRecord.model_fields if name != "kind")
_KEY_COLUMNS = tuple(name for name in ApiKeyRecord.model_fields if name != "kind")
"""Every field of a record is a column of its table, but its `kind`."""


def _password_change_record(change: PasswordChange) -> PasswordChangeRecord:
    return PasswordChangeRecord(
        id=change.id,
        user_id=change.user_id,
        password_hash=change.password_hash,
        changed_at=change.changed_at,
        version=change.version,
    )


async def load_password_changes(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[Any]:
    """The queued password changes among `refs`; one the master already superseded is gone
    and sends nothing."""
    return await load_changed(
        session, refs, (("password_change", PasswordChange, _password_change_record),)
    )


async def keep_own_password_changes(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> None:
    """After a users import: a password changed here and not yet seen by the master stays.

    The master's record wins once it shows this change or a later one (its
    `password_changed_at` is at least ours), or once the account is no longer an active
    `user` (the master refuses such a change): the queued change is then dropped. Until then
    a record the master wrote before our change arrived (an admin's edit of the display name,
    say) must not bring the old password, and the tokens of the old one, back.
    """
    # Almost always nothing waits for the master: one cheap look spares a join per chunk
    # (it halved the users import rate when every chunk asked).
    if not user_ids or await session.scalar(select(PasswordChange.id).limit(1)) is None:
        return
    for start in range(0, len(user_ids), IN_CHUNK):
        chunk = user_ids[start : start + IN_CHUNK]
        pending = (
            await session.execute(
                select(PasswordChange, User)
                .join(User, User.id == PasswordChange.user_id)
                .where(PasswordChange.user_id.in_(chunk))
                .order_by(PasswordChange.changed_at)
                .execution_options(populate_existing=True)
            )
        ).all()
        latest: dict[uuid.UUID, tuple[PasswordChange, User]] = {}
        for change, user in pending:
            latest[user.id] = (change, user)  # ordered: the last one is the newest
        for change, user in latest.values():
            master_at = user.password_changed_at
            ours = (
                user.active
                and user.role == Role.USER
                and (master_at is None or master_at < change.changed_at)
            )
            if ours:
                await session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(
                        password_hash=change.password_hash, password_changed_at=change.changed_at
                    )
                    .execution_options(synchronize_session=False)
                )
            settled = PasswordChange.user_id == user.id
            if ours and master_at is not None:
                settled &= PasswordChange.changed_at <= master_at
            if not ours or master_at is not None:
                await session.execute(delete(PasswordChange).where(settled))


async def apply_user_records(
    session: AsyncSession, records: Sequence[UsersStreamRecord]
) -> ApplyOutcome:
    """Versioned upsert of users and keys; a deactivation or revocation takes effect here."""
    users: list[Any] = []
    keys: list[Any] = []
    for record in records:
        root = record.root
        (users if root.kind == "user" else keys).append(root)
    # The validated fields as they are, read off the records (no dict, no serialisation
    # pass): the hot path of imports.
    applied = await versioned_upsert_records(
        session=session, table=_USER_TABLE, records=users, columns=_USER_COLUMNS
    )
    applied += await versioned_upsert_records(
        session=session, table=_KEY_TABLE, records=keys, columns=_KEY_COLUMNS
    )
    if users:
        await keep_own_password_changes(session, [user.id for user in users])
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
