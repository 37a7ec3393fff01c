"""Each rule opens an alert while its condition is real and resolves it once it clears."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from core.db import utcnow
from core.runtime import Runtime
from request_network.operations.models import WorkerHeartbeat
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.models import InboundGap, OutboxBatch
from response_network.jobs import registry as response_registry
from response_network.operations.models import WorkerHeartbeat as ResponseHeartbeat
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.exchange.export import export_stream, send_heartbeat_if_quiet
from shared.exchange.files import requeue
from shared.exchange.importing import ImportStatus, import_pending
from shared.platform.alerts.observe import disk_usage
from shared.streams import CONTROL_STREAM
from tests.ops.test_alerts_support import alerts, context_of, evaluate, open_alerts, tables_of
from tests.shared.exchange.conftest import exchange_keys
from tests.waiting import until


@pytest.fixture
def keys(response_settings: ResponseSettings, request_settings: RequestSettings) -> None:
    exchange_keys(response_settings, request_settings)


async def quarantine_junk(runtime: Runtime[Any], name: str) -> str:
    """Drop a file no batch reader accepts into the inbox and run a real import."""
    ctx = context_of(runtime)
    ctx.inbox_dir.mkdir(parents=True, exist_ok=True)
    (ctx.inbox_dir / name).write_bytes(b"not a batch")
    [result] = await import_pending(ctx)
    assert result.status == ImportStatus.QUARANTINED
    return result.file


async def audit_trail(runtime: Runtime[Any], alert_id: object) -> list[tuple[str, str, Any]]:
    """(action, actor, details) of the audit events about one alert, oldest first."""
    audit = tables_of(runtime).audit
    async with runtime.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(audit.action, audit.actor_name, audit.details)
            .where(audit.object_id == str(alert_id))
            .order_by(audit.occurred_at)
        )
        return [tuple(row) for row in rows]


@pytest.mark.usefixtures("keys")
async def test_a_quarantined_batch_opens_one_alert_until_it_leaves_quarantine(
    request_runtime: RequestRuntime,
) -> None:
    name = await quarantine_junk(request_runtime, "notes.txt")

    first = await evaluate(request_runtime)
    again = await evaluate(request_runtime)

    [alert] = await alerts(request_runtime, "quarantine")
    assert [a.subject for a in first.opened] == [name]
    assert again.opened == []
    assert (alert.state, alert.severity, alert.subject) == ("open", "critical", name)
    assert alert.details["code"] == "batch.format"
    assert alert.last_seen_at > alert.first_seen_at
    assert alert.delivery_state == "none"  # no webhook configured

    ctx = context_of(request_runtime)
    requeue(name, ctx.quarantine_dir, ctx.inbox_dir)
    resolved = await evaluate(request_runtime)

    [alert] = await alerts(request_runtime, "quarantine")
    assert [a.id for a in resolved.resolved] == [alert.id]
    assert alert.state == "resolved"
    assert alert.resolved_at is not None
    about = {"rule": "quarantine", "subject": name, "severity": "critical"}
    assert await audit_trail(request_runtime, alert.id) == [
        ("alert.opened", "alerts", about),
        ("alert.resolved", "alerts", about),
    ]

    # The same file refused again is a new episode: a new alert, the old one stays resolved.
    await import_pending(ctx)
    await evaluate(request_runtime)
    states = [(a.subject, a.state) for a in await alerts(request_runtime, "quarantine")]
    assert states == [(name, "resolved"), (name, "open")]


@pytest.mark.usefixtures("keys")
async def test_batches_the_peer_does_not_acknowledge_open_a_lag_alert(
    request_runtime: RequestRuntime, response_runtime: ResponseRuntime
) -> None:
    request_ctx, response_ctx = context_of(request_runtime), context_of(response_runtime)
    await send_heartbeat_if_quiet(request_ctx)
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "stream_lag") == []  # seconds old: fine

    async with request_runtime.unit_of_work() as uow:  # twenty minutes pass
        await uow.session.execute(
            update(OutboxBatch).values(created_at=utcnow() - timedelta(minutes=20))
        )
    await evaluate(request_runtime)
    [alert] = await open_alerts(request_runtime, "stream_lag")
    assert alert.subject == f"outbound/{CONTROL_STREAM}"
    assert alert.details["unacknowledged"] == 1

    # The peer imports it and its next batch carries the acknowledgement back.
    await import_pending(response_ctx)
    await send_heartbeat_if_quiet(response_ctx)
    await import_pending(request_ctx)
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "stream_lag") == []
    [resolved] = await alerts(request_runtime, "stream_lag")
    assert resolved.id == alert.id
    assert resolved.state == "resolved"


@pytest.mark.usefixtures("keys")
async def test_on_a_one_way_diode_unacknowledged_batches_are_normal(
    request_runtime: RequestRuntime,
) -> None:
    diode = dataclasses.replace(context_of(request_runtime), acks_enabled=False)
    await send_heartbeat_if_quiet(diode)
    async with request_runtime.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxBatch).values(created_at=utcnow() - timedelta(hours=5))
        )
    await evaluate(request_runtime, ctx=diode)
    assert await open_alerts(request_runtime, "stream_lag") == []


@pytest.mark.usefixtures("keys")
async def test_a_batch_that_arrived_late_opens_a_lag_alert(
    request_runtime: RequestRuntime, response_runtime: ResponseRuntime
) -> None:
    sender, receiver = context_of(response_runtime), context_of(request_runtime)
    await send_heartbeat_if_quiet(sender)
    await import_pending(receiver)
    # Written 20 minutes ago, imported only now: 20 minutes later than the delivery before.
    late = dataclasses.replace(
        sender, clock=lambda: utcnow() - timedelta(minutes=20), heartbeat_every=timedelta(0)
    )
    await send_heartbeat_if_quiet(late)
    await import_pending(receiver)

    await evaluate(request_runtime)  # the default, 15 minutes
    [alert] = await open_alerts(request_runtime, "stream_lag")
    assert alert.subject == f"inbound/{CONTROL_STREAM}"
    assert alert.details["sequence"] == 2

    await evaluate(request_runtime, alert_stream_lag_minutes=30)
    assert await open_alerts(request_runtime, "stream_lag") == []


@pytest.mark.usefixtures("keys")
async def test_a_gap_open_too_long_opens_an_alert_until_the_batch_arrives(
    request_runtime: RequestRuntime, response_runtime: ResponseRuntime, tmp_path: Path
) -> None:
    response_ctx, request_ctx = context_of(response_runtime), context_of(request_runtime)
    [first] = (await export_stream(response_ctx, CONTROL_STREAM, heartbeat=True)).batches
    await export_stream(response_ctx, CONTROL_STREAM, heartbeat=True)
    held_back = shutil.move(response_ctx.outbox_dir / first.path.name, tmp_path)
    await import_pending(request_ctx)  # sequence 2 arrives, 1 is missing
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "gap") == []  # just noticed

    async with request_runtime.unit_of_work() as uow:
        await uow.session.execute(
            update(InboundGap).values(noticed_at=utcnow() - timedelta(minutes=20))
        )
    await evaluate(request_runtime)
    [alert] = await open_alerts(request_runtime, "gap")
    assert alert.subject == CONTROL_STREAM
    assert (alert.details["missing"], alert.details["first"]) == (1, 1)

    shutil.move(held_back, response_ctx.outbox_dir / first.path.name)
    await import_pending(request_ctx)
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "gap") == []


async def test_missing_worker_heartbeats_alert_in_production_only(
    response_runtime: ResponseRuntime, backend: str
) -> None:
    beat = response_registry.get("heartbeat").function
    await beat(response_runtime)
    await evaluate(response_runtime)
    assert await open_alerts(response_runtime, "worker_heartbeat") == []

    async with response_runtime.unit_of_work() as uow:  # the worker went quiet
        await uow.session.execute(
            update(ResponseHeartbeat).values(last_seen_at=utcnow() - timedelta(minutes=10))
        )
    await evaluate(response_runtime)
    found = await open_alerts(response_runtime, "worker_heartbeat")
    if backend == "embedded":  # the API process runs the jobs: nothing to watch
        assert found == []
        return
    [alert] = found
    assert (alert.subject, alert.severity) == ("workers", "critical")

    await beat(response_runtime)  # it is back
    await evaluate(response_runtime)
    assert await open_alerts(response_runtime, "worker_heartbeat") == []


async def test_no_heartbeat_yet_is_a_fresh_deployment_not_an_alert(
    request_runtime: RequestRuntime,
) -> None:
    async with request_runtime.unit_of_work() as uow:
        assert (await uow.session.scalars(select(WorkerHeartbeat))).all() == []
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "worker_heartbeat") == []


async def test_a_full_transfer_disk_opens_an_alert(request_runtime: RequestRuntime) -> None:
    ctx = context_of(request_runtime)
    used = disk_usage(ctx.root).ratio
    assert 0 < used < 1

    await evaluate(request_runtime, alert_disk_used_ratio=used / 2)
    [alert] = await open_alerts(request_runtime, "transfer_disk")
    assert alert.subject == str(ctx.root)
    assert alert.details["used_ratio"] == pytest.approx(used, abs=0.01)

    await evaluate(request_runtime, alert_disk_used_ratio=min(1.0, used + 0.05))
    assert await open_alerts(request_runtime, "transfer_disk") == []


async def test_an_http_error_rate_above_the_threshold_opens_an_alert(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    root = request_runtime.settings.resolved_transfer_dir
    shutil.rmtree(root, ignore_errors=True)
    root.write_text("a file where the transfer directory should be")
    for _ in range(5):
        assert (await request_client.get("/health/ready")).status_code == 503
    await evaluate(request_runtime)
    assert await open_alerts(request_runtime, "error_rate") == []  # 5 requests: no trend yet

    for _ in range(15):
        await request_client.get("/health/ready")
    root.unlink()
    root.mkdir()
    for _ in range(20):
        assert (await request_client.get("/health/ready")).status_code == 200
    await evaluate(request_runtime)
    [alert] = await open_alerts(request_runtime, "error_rate")
    assert (alert.details["requests"], alert.details["errors"]) == (40, 20)

    await evaluate(request_runtime, alert_error_rate=0.6)  # half of the answers is tolerated
    assert await open_alerts(request_runtime, "error_rate") == []


@pytest.mark.usefixtures("keys")
async def test_a_stream_whose_import_lock_stays_held_is_skipped_counted_and_alerted(
    request_runtime: RequestRuntime, response_runtime: ResponseRuntime
) -> None:
    response_ctx, request_ctx = context_of(response_runtime), context_of(request_runtime)
    await export_stream(response_ctx, CONTROL_STREAM, heartbeat=True)
    threshold = 0.001  # minutes: held longer than this, the stream is blocked

    # Another importer holds the stream (stuck, in the alert's story).
    async with request_runtime.locks.hold(f"import-{CONTROL_STREAM}") as other:
        assert other
        assert await import_pending(request_ctx) == []
        assert (
            request_runtime.metrics_registry.get_sample_value(
                "airlock_import_lock_busy_total", {"stream": CONTROL_STREAM}
            )
            == 1
        )
        assert len(list(request_ctx.inbox_dir.iterdir())) == 1

        async def blocked() -> list[Any]:
            await evaluate(request_runtime, alert_stream_blocked_minutes=threshold)
            return await open_alerts(request_runtime, "stream_blocked")

        [alert] = await until(blocked, what="the stream_blocked alert", timeout=10)
        assert alert.subject == CONTROL_STREAM
    await evaluate(request_runtime, alert_stream_blocked_minutes=threshold)
    assert await open_alerts(request_runtime, "stream_blocked") == []
    [applied] = await import_pending(request_ctx)
    assert applied.status is ImportStatus.APPLIED
