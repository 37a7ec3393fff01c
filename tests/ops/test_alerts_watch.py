"""Production mode: the API notices when the workers stopped evaluating, and evaluates."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from core.db import utcnow
from response_network.app import create_app as create_response_app
from response_network.jobs import registry as response_registry
from response_network.operations.models import WorkerHeartbeat
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.platform.alerts.flows import LAST_EVALUATED_KEY
from shared.platform.alerts.models import AlertMixin
from shared.platform.alerts.watch import evaluations_stalled
from tests.ops.test_alerts_support import evaluate, open_alerts
from tests.waiting import until


@pytest.fixture
def backend() -> str:
    """The watch runs where the jobs do not: beside Celery workers."""
    return "production"


async def test_the_api_evaluates_when_the_workers_went_silent(
    response_settings: ResponseSettings,
) -> None:
    settings = response_settings.model_copy(
        update={"jobs_enabled": True, "alert_evaluate_seconds": 5}
    )
    runtime = ResponseRuntime.build(settings, response_registry, start_scheduler=False)
    await runtime.redis.flushdb()  # type: ignore[union-attr]
    await response_registry.get("heartbeat").function(runtime)
    async with runtime.unit_of_work() as uow:  # the last worker stopped ten minutes ago
        await uow.session.execute(
            update(WorkerHeartbeat).values(last_seen_at=utcnow() - timedelta(minutes=10))
        )
    app = create_response_app(settings, runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/health")).status_code == 200

            async def opened() -> list[AlertMixin]:
                return await open_alerts(runtime, "worker_heartbeat")

            # The watch looks every 5 s.
            found = await until(opened, what="the watch to open a heartbeat alert", timeout=30)
    [alert] = found
    assert alert.subject == "workers"


async def test_recent_evaluations_by_the_workers_leave_the_api_idle(
    response_settings: ResponseSettings,
) -> None:
    runtime = ResponseRuntime.build(response_settings, response_registry, start_scheduler=False)
    try:
        await runtime.redis.flushdb()  # type: ignore[union-attr]
        now = utcnow()
        assert await evaluations_stalled(runtime.cache, settings=response_settings, at=now)
        await evaluate(runtime)  # as a worker's job would
        assert await runtime.cache.peek(LAST_EVALUATED_KEY) is not None
        assert not await evaluations_stalled(runtime.cache, settings=response_settings, at=now)
        interval = response_settings.alert_evaluate_seconds
        two_intervals_later = now + timedelta(seconds=2 * interval + 1)
        assert await evaluations_stalled(
            runtime.cache, settings=response_settings, at=two_intervals_later
        )
    finally:
        await runtime.close()
