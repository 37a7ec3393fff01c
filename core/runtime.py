"""The runtime of one network process: settings plus the backends they select."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.cache import Cache, InProcessCache, RedisCache, connect_redis
from core.celery_jobs import CeleryOptions, CeleryRunner, create_celery_app
from core.db import UnitOfWork, create_engine, create_session_factory, ping
from core.jobs import InProcessRunner, JobRegistry, JobRunner
from core.locks import FileLocks, Locks, RedisLocks
from core.settings import NetworkSettings

SettingsT = TypeVar("SettingsT", bound=NetworkSettings)


@dataclass
class Runtime(Generic[SettingsT]):
    """A network subclasses it with typed attributes for the objects it builds once per
    runtime (`functools.cached_property` where they are built on first use)."""

    settings: SettingsT
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    cache: Cache
    locks: Locks
    redis: Redis | None
    registry: JobRegistry
    metrics_registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    jobs: JobRunner = field(init=False)
    _closed: bool = field(default=False, init=False)

    @classmethod
    def build(
        cls, settings: SettingsT, registry: JobRegistry, *, start_scheduler: bool = True
    ) -> Self:
        """Pick the backends: Redis, Redis locks and Celery when `redis_url` is set, else
        local."""
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url)
        redis: Redis | None = None
        cache: Cache
        locks: Locks
        if settings.redis_url:
            redis = connect_redis(settings.redis_url)
            cache = RedisCache(redis, settings.network_name)
            locks = RedisLocks(redis, settings.network_name, ttl=settings.lock_ttl_seconds)
        else:
            cache = InProcessCache(settings.network_name)
            locks = FileLocks(settings.var_dir / "locks")
        runtime = cls(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            cache=cache,
            locks=locks,
            redis=redis,
            registry=registry,
        )
        # An API process (not a worker, not a command) runs the schedule or the watches.
        scheduled = start_scheduler and settings.jobs_enabled
        if settings.redis_url:
            app = cls.celery_app(settings, registry)
            runtime.jobs = CeleryRunner(app, registry, runtime=runtime, watch=scheduled)
        else:
            runtime.jobs = InProcessRunner(registry, runtime, schedule=scheduled)
        return runtime

    @classmethod
    def celery_app(cls, settings: SettingsT, registry: JobRegistry) -> Any:
        """The network's Celery app; its workers build their own runtime (of this class) on
        first task."""
        if settings.redis_url is None:
            raise ValueError("Celery needs a redis_url")

        async def build() -> Runtime[SettingsT]:
            return cls.build(settings, registry, start_scheduler=False)

        options = CeleryOptions(
            broker_url=settings.redis_url,
            queue=f"airlock.{settings.network_name}",
            max_redeliveries=settings.job_max_redeliveries,
            visibility_timeout=settings.job_visibility_timeout_seconds,
            beat_schedule_file=str((settings.var_dir / f"{settings.network_name}-beat").resolve()),
        )
        return create_celery_app(registry, options, build)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.jobs.stop()
        await self.cache.close()
        await self.engine.dispose()

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        async def database() -> None:
            await ping(self.engine)

        async def cache() -> None:
            await self.cache.ping()

        async def transfer_dir() -> None:
            check_writable(self.settings.resolved_transfer_dir)

        # Named for what failed: an operator reading "not ready: redis" knows where to look.
        cache_name = "redis" if self.redis is not None else "cache"
        return {"database": database, cache_name: cache, "transfer_dir": transfer_dir}


def check_writable(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".ready-", delete=True) as probe:
        probe.write(b"ok")
        probe.flush()


def ensure_secret(path: Path) -> str:
    """Read a generated secret, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
