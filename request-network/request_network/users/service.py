"""The replicated users: reading them (admins), and the one change a user makes to their
own account here, a new password.

Users are mastered on the response network and arrive by the `users` stream. A user cannot
reach the master from this side, so a password change is made on the replica at once (new
hash, tokens issued before refused) and queued for the master as a `password_change` record
on the `requests` stream; the master's next `users` record carries it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit
from core.errors import Forbidden, NotFound
from core.jobs import JobRunner
from core.pagination import decode_position, encode_position
from core.security import LoginThrottle, TokenClaims, TokenIssuer
from request_network.audit.models import AuditEvent
from request_network.runtime import RequestRuntime
from request_network.users.models import PasswordChange, Role, User
from shared.platform.account import PasswordUpdate, RecordChange, change_password

_AFTER = frozenset({"after"})


@dataclass(frozen=True)
class UserFilters:
    username_prefix: str | None = None
    role: Role | None = None
    active: bool | None = None


async def list_users(
    *,
    session: AsyncSession,
    filters: UserFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[User], str | None]:
    """One page in username order (usernames are unique), and the next page's cursor (None on
    the last)."""
    statement = select(User).order_by(User.username).limit(limit + 1)
    if filters.username_prefix:
        statement = statement.where(
            User.username.startswith(filters.username_prefix, autoescape=True)
        )
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.active is not None:
        statement = statement.where(User.active.is_(filters.active))
    if cursor is not None:
        statement = statement.where(User.username > decode_position(cursor, keys=_AFTER)["after"])
    users = list((await session.scalars(statement)).all())
    if len(users) <= limit:
        return users, None
    page = users[:limit]
    return page, encode_position({"after": page[-1].username})


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    """The user, else `NotFound` (`not_found.user`)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="not_found.user")
    return user


async def get_user_by_name(*, session: AsyncSession, username: str) -> User:
    """The user of that exact username, else `NotFound` (`not_found.user`)."""
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", code="not_found.user")
    return user


async def usernames(
    *, session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The username of each id that names a replicated user (a list shows who, not an id)."""
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return dict(rows.all())


def _queue_for_master(jobs: JobRunner) -> RecordChange:
    async def queue(session: AsyncSession, user: User) -> None:
        assert user.password_hash is not None
        assert user.password_changed_at is not None
        session.add(
            PasswordChange(
                user_id=user.id,
                password_hash=user.password_hash,
                changed_at=user.password_changed_at,
            )
        )

        async def export_soon() -> None:
            # Leaves now rather than at the next export tick, like a submitted request.
            await jobs.enqueue("transfer_export")

        after_commit(session, export_soon)

    return queue


async def change_own_password(
    *,
    runtime: RequestRuntime,
    throttle: LoginThrottle,
    tokens: TokenIssuer,
    user: User,
    data: PasswordUpdate,
    address: str | None,
) -> tuple[str, TokenClaims]:
    """A plain user's new password, here at once and on the master once it crosses; a
    token for it. Staff passwords are the protected side's alone (403)."""
    if user.role != Role.USER:
        raise Forbidden(
            "an admin's or operator's password is changed on the response network only",
            code="forbidden.password_change",
        )
    issued = await change_password(
        runtime=runtime,
        throttle=throttle,
        tokens=tokens,
        users=User,
        audit_model=AuditEvent,
        caller=user,
        data=data,
        address=address,
        record_change=_queue_for_master(runtime.jobs),
    )
    # This process's snapshot holds the old stamp; the others' expire within seconds.
    runtime.principals.drop(user.id)
    return issued
