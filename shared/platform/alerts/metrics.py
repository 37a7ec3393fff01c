"""Alert metrics. What the rules look at is state, so it is measured when `/metrics` is
scraped (a probe, like the transfer's open gaps) and is right in every process, whichever
one evaluates: `deploy/prometheus/alerts.yml` applies the same rules to these values.
Timestamps rather than ages, so Prometheus compares them with its own clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from core.metrics import Probe
from shared.exchange.context import TransferContext
from shared.platform.alerts.models import AlertState, AlertTables
from shared.platform.alerts.observe import (
    disk_usage,
    held_imports,
    newest_heartbeat,
    open_gaps,
    unacknowledged_batches,
)
from shared.platform.alerts.rules import Rule

if TYPE_CHECKING:
    from shared.platform.runtime import RuntimeT


class AlertMetrics:
    """Events, counted where they happen (the evaluating process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "airlock_alert_deliveries_total",
            "Webhook deliveries of alerts by outcome (delivered, failed).",
            ["outcome"],
            registry=registry,
        )


def _count_quarantined(directory: Path) -> int:
    return sum(1 for _ in directory.glob("*.reason.json")) if directory.exists() else 0


def alert_probe(
    runtime: RuntimeT, tables: AlertTables, context: Callable[[RuntimeT], TransferContext]
) -> Probe:
    """Open alerts, unacknowledged batches, gaps, held import locks, quarantine, disk and
    heartbeats, read from the database, the locks and the transfer directory at each scrape
    (a handful of cheap queries)."""
    built: list[TransferContext] = []

    async def measure() -> list[Metric]:
        if not built:
            built.append(context(runtime))
        ctx = built[0]
        model = tables.alert
        async with runtime.session_factory() as session:
            opened = dict(
                (
                    await session.execute(
                        select(model.rule, func.count())
                        .where(model.state == AlertState.OPEN)
                        .group_by(model.rule)
                    )
                ).all()
            )
            unacknowledged = await unacknowledged_batches(session=session, ctx=ctx)
            gaps = await open_gaps(session=session, ctx=ctx)
            heartbeat = await newest_heartbeat(session=session, model=tables.heartbeat)
        held = await held_imports(ctx)
        quarantined = await asyncio.to_thread(_count_quarantined, ctx.quarantine_dir)
        disk = await asyncio.to_thread(disk_usage, ctx.root)

        alerts = GaugeMetricFamily("airlock_alerts_open", "Open alerts by rule.", labels=["rule"])
        for rule in Rule:
            alerts.add_metric([rule.value], int(opened.get(rule.value, 0)))
        oldest = GaugeMetricFamily(
            "airlock_stream_oldest_unacknowledged_timestamp_seconds",
            "Creation time of the oldest batch the peer has not acknowledged (absent: none).",
            labels=["stream"],
        )
        for item in unacknowledged:
            oldest.add_metric([item.stream], item.oldest_created_at.timestamp())
        oldest_gap = GaugeMetricFamily(
            "airlock_stream_oldest_gap_timestamp_seconds",
            "When the oldest missing sequence of the peer's stream was noticed (absent: none).",
            labels=["stream"],
        )
        for gap in gaps:
            oldest_gap.add_metric([gap.stream], gap.oldest_noticed_at.timestamp())
        held_since = GaugeMetricFamily(
            "airlock_stream_import_held_since_timestamp_seconds",
            "Since when one importer holds the inbound stream's lock (absent: nobody).",
            labels=["stream"],
        )
        for lock in held:
            held_since.add_metric([lock.stream], lock.since.timestamp())
        beat = GaugeMetricFamily(
            "airlock_worker_heartbeat_timestamp_seconds",
            "Newest worker heartbeat in the database (absent: none yet).",
            labels=[],
        )
        if heartbeat is not None:
            beat.add_metric([], heartbeat.last_seen_at.timestamp())
        return [
            alerts,
            oldest,
            oldest_gap,
            held_since,
            beat,
            GaugeMetricFamily(
                "airlock_transfer_quarantined_batches",
                "Batches waiting in quarantine.",
                value=quarantined,
            ),
            GaugeMetricFamily(
                "airlock_transfer_disk_used_ratio",
                "Used share of the transfer directory's file system.",
                value=disk.ratio,
            ),
        ]

    return measure
