"""A network's runtime class is the one its Celery workers build, so a job there finds the
attributes that network's runtime adds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.jobs import JobRegistry
from core.runtime import Runtime
from core.settings import NetworkSettings
from tests.services import RedisServer


class _NetworkRuntime(Runtime[NetworkSettings]):
    pass


def test_a_celery_worker_builds_the_runtime_class_that_made_its_app(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    registry = JobRegistry("t")
    seen: list[tuple[type[Any], NetworkSettings]] = []

    @registry.job("record")
    async def record(runtime: Runtime[Any]) -> None:
        seen.append((type(runtime), runtime.settings))
        await runtime.close()  # here, on the worker's own event loop

    settings = NetworkSettings(
        network_name="t", var_dir=tmp_path, redis_url=redis_server.url(6), jobs_enabled=False
    )
    # Run eagerly in this process: the task builds its runtime as a worker's first task does.
    _NetworkRuntime.celery_app(settings, registry).tasks["t.record"].apply()

    assert seen == [(_NetworkRuntime, settings)]
