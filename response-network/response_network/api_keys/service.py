"""API keys: issue (secret returned once, only its SHA-256 kept), list, revoke.

A key change is also a change of its owner for the users stream, so both versions bump.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.security import generate_api_key
from response_network.api_keys.models import ApiKey
from response_network.api_keys.schemas import ApiKeyCreate
from response_network.audit.models import AuditEvent
from response_network.users.models import User
from response_network.users.service import bump_version, get_user

MAX_LIVE_KEYS = 50
"""Unrevoked keys one user may hold."""


@dataclass(frozen=True)
class IssuedApiKey:
    key: ApiKey
    secret: str
    """The only moment the secret exists outside the caller's hands: show it, then drop it."""


async def create_api_key(
    *,
    session: AsyncSession,
    owner: User,
    data: ApiKeyCreate,
    actor: Actor,
    within: frozenset[str] | None = None,
) -> IssuedApiKey:
    """`within`: the scopes of the key the caller used, if any; a key cannot mint a key that
    reaches further than itself (no scopes: everything)."""
    if within is not None and (data.scopes is None or not set(data.scopes) <= within):
        raise Forbidden("a key can create keys only within its own scopes", code="forbidden.scope")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise Invalid("expires_at must be in the future", code="invalid.expires_at")
    live = await session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.user_id == owner.id, ApiKey.revoked_at.is_(None))
    )
    if (live or 0) >= MAX_LIVE_KEYS:
        raise Conflict(
            f"a user may hold at most {MAX_LIVE_KEYS} unrevoked keys", code="conflict.api_key_limit"
        )
    secret, prefix, digest = generate_api_key()
    key = ApiKey(
        user_id=owner.id,
        name=data.name,
        prefix=prefix,
        secret_hash=digest,
        scopes=[str(scope) for scope in data.scopes] if data.scopes is not None else None,
        expires_at=data.expires_at,
        created_at=utcnow(),
        version=1,
    )
    session.add(key)
    bump_version(owner)
    await session.flush()
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="api_key.create",
        object_type="api_key",
        object_id=key.id,
        details={
            "user_id": str(owner.id),
            "name": key.name,
            "prefix": key.prefix,
            "scopes": key.scopes,
        },
    )
    return IssuedApiKey(key, secret)


async def list_api_keys(*, session: AsyncSession, owner_id: uuid.UUID) -> list[ApiKey]:
    statement = select(ApiKey).where(ApiKey.user_id == owner_id).order_by(ApiKey.created_at)
    return list((await session.scalars(statement)).all())


async def get_api_key(
    *, session: AsyncSession, key_id: uuid.UUID, owner_id: uuid.UUID | None = None
) -> ApiKey:
    """The key, if it exists (and belongs to `owner_id` when given); else `NotFound`."""
    key = await session.get(ApiKey, key_id)
    if key is None or (owner_id is not None and key.user_id != owner_id):
        raise NotFound(f"no API key {key_id}", code="not_found.api_key")
    return key


async def revoke_api_key(*, session: AsyncSession, key: ApiKey, actor: Actor) -> bool:
    """Revoke for good; returns whether anything changed (revoking twice is harmless)."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    key.version += 1
    bump_version(await get_user(session=session, user_id=key.user_id))
    await session.flush()
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="api_key.revoke",
        object_type="api_key",
        object_id=key.id,
        details={"user_id": str(key.user_id), "name": key.name, "prefix": key.prefix},
    )
    return True
