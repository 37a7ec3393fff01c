"""Who is calling: passwords (with rehash to argon2id), bearer tokens and API keys."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import utcnow
from core.deps import Caller, Credentials
from core.errors import Unauthorized
from core.runtime import ensure_secret
from core.security import TokenIssuer, hash_api_key, verify_password
from response_network.api_keys.models import ApiKey
from response_network.audit.models import AuditEvent
from response_network.settings import ResponseSettings
from response_network.users.models import User
from response_network.users.service import bump_version
from shared.login import PasswordCheck

MAX_API_KEY_LENGTH = 128
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, not on every request."""


def build_token_issuer(settings: ResponseSettings) -> TokenIssuer:
    """The network's issuer; without a configured secret, one generated once under var_dir."""
    secret = settings.secret_key.get_secret_value() or ensure_secret(
        settings.var_dir / f"{settings.network_name}.secret"
    )
    return TokenIssuer(
        secret=secret,
        issuer=settings.network_name,
        audience=f"airlock-{settings.network_name}",
        ttl=timedelta(minutes=settings.token_ttl_minutes),
    )


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


async def user_for_token(*, session: AsyncSession, tokens: TokenIssuer, token: str) -> User:
    try:
        claims = tokens.read(token)
        user_id = uuid.UUID(claims.subject)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired", code="unauthorized.token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("invalid token", code="unauthorized.token") from exc
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid token", code="unauthorized.token")
    return user


async def caller_for_api_key(*, session: AsyncSession, secret: str) -> Caller[User]:
    """The key's owner, with the key's scopes (None: the owner's full reach)."""
    refused = Unauthorized("invalid, expired or revoked API key", code="unauthorized.api_key")
    if len(secret) > MAX_API_KEY_LENGTH:
        raise refused
    key = await session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_api_key(secret)))
    now = utcnow()
    if key is None or key.revoked_at is not None:
        raise refused
    if key.expires_at is not None and key.expires_at <= now:
        raise refused
    user = await session.get(User, key.user_id)
    if user is None or not user.active:
        raise refused
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        # Bookkeeping, not a change of the key: a plain UPDATE, no version bump, no export.
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return Caller(user, frozenset(key.scopes) if key.scopes is not None else None)


async def authenticate(
    *, session: AsyncSession, tokens: TokenIssuer, credentials: Credentials
) -> Caller[User]:
    """The active user behind the credentials and what they allow, or `Unauthorized`."""
    if credentials.api_key is not None:
        return await caller_for_api_key(session=session, secret=credentials.api_key)
    if credentials.token is not None:
        user = await user_for_token(session=session, tokens=tokens, token=credentials.token)
        return Caller(user)
    raise Unauthorized("authentication required", code="unauthorized.missing")
