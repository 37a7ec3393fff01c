"""The `evaluate_alerts` job every network runs; it calls one flow and nothing else."""

from __future__ import annotations

from collections.abc import Callable

from core.jobs import JobRegistry
from shared.exchange.context import TransferContext
from shared.platform.alerts.flows import evaluate_alerts_when_due
from shared.platform.alerts.models import AlertTables
from shared.platform.runtime import RuntimeT

EVALUATE_TICK = 5.0
"""The schedule ticks this often; evaluation runs every `alert_evaluate_seconds`."""


def register_alert_jobs(
    registry: JobRegistry,
    tables: AlertTables,
    context: Callable[[RuntimeT], TransferContext],
) -> None:
    @registry.job("evaluate_alerts", every=EVALUATE_TICK)
    async def evaluate_alerts(runtime: RuntimeT) -> None:
        await evaluate_alerts_when_due(runtime=runtime, tables=tables, ctx=context(runtime))
