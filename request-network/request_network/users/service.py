"""The one change a user makes to their own account here: a new password.

Users cannot reach the master from this side, so the change is made on the replica at once
(new hash, tokens issued before refused) and queued for the master as a `password_change`
record on the `requests` stream; the master's next `users` record carries it back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit
from core.errors import Forbidden
from core.jobs import JobRunner
from core.runtime import Runtime
from core.security import LoginThrottle, TokenClaims, TokenIssuer
from request_network.audit.models import AuditEvent
from request_network.auth.service import principals
from request_network.users.models import PasswordChange, Role, User
from shared.account import PasswordUpdate, RecordChange, change_password


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
    runtime: Runtime,
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
    principals(runtime).drop(user.id)
    return issued
