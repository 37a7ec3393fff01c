"""`/admin/cache`: the response cache's figures and clearing (admin only, audited)."""

from __future__ import annotations

from fastapi import Depends

from core.inputs import Uuid
from core.openapi import api_router
from request_network.deps import CurrentActor, ResponseCacheDep, UnitOfWorkDep, require_admin
from request_network.responses import cache_admin as service
from request_network.responses.schemas import CacheClearRead, CacheStatsRead

router = api_router(
    prefix="/admin/cache", tags=["admin-cache"], dependencies=[Depends(require_admin)]
)


@router.get("/stats", name="stats", summary="Hits, misses, hit ratio, keys, memory")
async def cache_stats(cache: ResponseCacheDep) -> CacheStatsRead:
    stats = await service.cache_stats(cache=cache)
    return CacheStatsRead(
        hits=stats.hits,
        misses=stats.misses,
        hit_ratio=stats.hit_ratio,
        keys=stats.keys,
        memory_bytes=stats.memory_bytes,
    )


@router.delete("/clear", name="clear", summary="Drop every cached answer")
async def clear_cache(
    cache: ResponseCacheDep, uow: UnitOfWorkDep, actor: CurrentActor
) -> CacheClearRead:
    deleted = await service.clear_cache(session=uow.session, cache=cache, actor=actor)
    return CacheClearRead(deleted=deleted)


@router.delete("/user/{user_id}", name="clear_user", summary="Drop one user's cached answers")
async def clear_user_cache(
    user_id: Uuid, cache: ResponseCacheDep, uow: UnitOfWorkDep, actor: CurrentActor
) -> CacheClearRead:
    deleted = await service.clear_user_cache(
        session=uow.session, cache=cache, actor=actor, user_id=user_id
    )
    return CacheClearRead(deleted=deleted)
