"""The one change a user makes to their own account here: a new password.

Users cannot reach the master from this side, so the change is made on the replica at once
(new hash, tokens issued before refused) and queued for the master as a `password_change`
record on the `requests` stream; the master's next `users` record carries it back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden
from core.runtime import Runtime
from core.security import LoginThrottle, TokenClaims, TokenIssuer
from request_network.audit.models import AuditEvent
from request_network.auth.service import principals
from request_network.users.models import PasswordChange, Role, User
from shared.account import PasswordUpdate, change_password


async def _queue_for_master(session: AsyncSession, user: User) -> None:
    assert user.password_hash is not None
    assert user.password_changed_at is not None
    session.add(
        PasswordChange(
            user_id=user.id, password_hash=user.password_hash, changed_at=user.password_changed_at
        )
    )


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
        record_change=_queue_for_master,
    )
    # This process's snapshot holds the old stamp; the others' expire within seconds.
    principals(runtime).drop(user.id)
    return issued
