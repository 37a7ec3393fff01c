"""The API's watch over the workers (production mode).

The `evaluate_alerts` job runs on the Celery workers, so it cannot report that the workers
themselves (or beat) stopped. Each API process checks when the last evaluation ran; after
two intervals without one it evaluates itself, so the `worker_heartbeat` alert and its
webhook still go out. While the workers are fine it only reads one cache key per interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI

from core.cache import Cache
from core.db import utcnow
from core.jobs import stop_tasks
from shared.exchange.context import TransferContext
from shared.platform.alerts.flows import LAST_EVALUATED_KEY, evaluate_alerts_when_due
from shared.platform.alerts.models import AlertTables
from shared.platform.alerts.settings import AlertSettings

if TYPE_CHECKING:
    from shared.platform.runtime import RuntimeT

log = structlog.get_logger(__name__)


async def evaluations_stalled(cache: Cache, *, settings: AlertSettings, at: datetime) -> bool:
    last = await cache.peek(LAST_EVALUATED_KEY)
    if last is None:
        return True
    return at.timestamp() - float(last) > 2 * settings.alert_evaluate_seconds


async def watch_evaluations(
    *, runtime: RuntimeT, tables: AlertTables, context: Callable[[RuntimeT], TransferContext]
) -> None:
    settings = runtime.settings
    while True:
        await asyncio.sleep(settings.alert_evaluate_seconds)
        try:
            if await evaluations_stalled(runtime.cache, settings=settings, at=utcnow()):
                log.warning("alert_evaluation_taken_over", reason="no recent evaluation")
                await evaluate_alerts_when_due(runtime=runtime, tables=tables, ctx=context(runtime))
        except Exception:  # the watch must outlive a database or cache hiccup
            log.exception("alert_watch_failed")


def watch_lifespan(
    runtime: RuntimeT, tables: AlertTables, context: Callable[[RuntimeT], TransferContext]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(
            watch_evaluations(runtime=runtime, tables=tables, context=context),
            name="alerts-watch",
        )
        try:
            yield
        finally:
            await stop_tasks([task])

    return lifespan
