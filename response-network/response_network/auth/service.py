"""Who is calling: passwords (with rehash to argon2id), bearer tokens and API keys."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.credentials import Caller, Credentials
from core.db import utcnow
from core.revocation import TokenRevocations
from core.security import TokenIssuer, verify_password
from response_network.api_keys.models import ApiKey
from response_network.audit.models import AuditEvent
from response_network.users.models import User
from response_network.users.service import bump_version
from shared import principals as principals_service
from shared.platform.login import PasswordCheck
from shared.principals import build_token_issuer

__all__ = ["authenticate", "build_token_issuer", "check_password"]


async def check_password(*, session: AsyncSession, username: str, password: str) -> PasswordCheck:
    """Verify a login. Unknown users cost one dummy verification, like a wrong password.

    On success an outdated hash (bcrypt) is replaced with argon2id, which is a change of the
    user (version bumped, audited), and `last_login_at` is set (bookkeeping, not versioned).
    """
    user = await session.scalar(select(User).where(User.username == username))
    valid, new_hash = await asyncio.to_thread(
        verify_password, password, user.password_hash if user else None
    )
    if user is None:
        return PasswordCheck(None, "unknown user")
    if not valid:
        return PasswordCheck(user, "wrong password")
    if not user.active:
        return PasswordCheck(user, "inactive user")
    if new_hash is not None:
        user.password_hash = new_hash
        bump_version(user)
        await session.flush()
        record_audit(
            session=session,
            model=AuditEvent,
            actor=Actor(user.id, user.username),
            action="user.upgrade_password_hash",
            object_type="user",
            object_id=user.id,
            details={"scheme": "argon2id"},
        )
    # Bookkeeping, not a change of the account: a plain UPDATE that bumps neither `version`
    # nor `updated_at` (set to itself, or its onupdate default would fire).
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(last_login_at=utcnow(), updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    return PasswordCheck(user, None)


async def authenticate(
    *,
    session: AsyncSession,
    tokens: TokenIssuer,
    credentials: Credentials,
    revocations: TokenRevocations | None = None,
) -> Caller[User]:
    """The active user behind the credentials and what they allow, or `Unauthorized`."""
    return await principals_service.authenticate(
        session=session,
        users=User,
        api_keys=ApiKey,
        tokens=tokens,
        credentials=credentials,
        revocations=revocations,
    )
