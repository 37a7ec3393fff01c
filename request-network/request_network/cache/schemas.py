"""What the admin cache endpoints show."""

from __future__ import annotations

from request_network.schemas import Schema


class CacheStatsRead(Schema):
    hits: int
    misses: int
    hit_ratio: float
    """hits / (hits + misses); 0 before any read."""
    keys: int
    """Answers cached now."""
    memory_bytes: int | None
    """Memory the cache server uses (Redis); null where the backend cannot tell."""


class CacheClearRead(Schema):
    deleted: int
    """Cached answers dropped."""
