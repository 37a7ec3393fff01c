"""Administering the response cache: figures, and dropping entries (audited)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.cache import CacheStats
from core.errors import NotFound
from request_network.audit.models import AuditEvent
from request_network.requests.models import Request
from request_network.responses.cache import ResponseCache
from request_network.users.models import User

_ID_CHUNK = 1000


async def cache_stats(*, cache: ResponseCache) -> CacheStats:
    """Hits and misses of every API replica sharing the cache; keys are cached answers."""
    return await cache.stats()


async def clear_cache(*, session: AsyncSession, cache: ResponseCache, actor: Actor) -> int:
    """Drop every cached answer; the next read of each loads it again."""
    deleted = await cache.clear()
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="cache.clear",
        object_type="cache",
        object_id="responses",
        details={"deleted": deleted},
    )
    return deleted


async def clear_user_cache(
    *, session: AsyncSession, cache: ResponseCache, actor: Actor, user_id: uuid.UUID
) -> int:
    """Drop the cached answers of one user's requests."""
    if await session.get(User, user_id) is None:
        raise NotFound("no such user", code="not_found.user")
    deleted = 0
    ids = await session.stream_scalars(
        select(Request.id).where(Request.owner_id == user_id).execution_options(yield_per=_ID_CHUNK)
    )
    async for chunk in ids.partitions(_ID_CHUNK):
        deleted += await cache.forget(list(chunk))
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="cache.clear_user",
        object_type="user",
        object_id=user_id,
        details={"deleted": deleted},
    )
    return deleted
