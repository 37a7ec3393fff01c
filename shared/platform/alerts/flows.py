"""One evaluation: observe, apply the rules, record the changes, tell the webhook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from core.db import utcnow
from shared.exchange.context import TransferContext
from shared.platform.alerts.models import AlertMixin, AlertTables
from shared.platform.alerts.observe import observe
from shared.platform.alerts.rules import Finding, find_problems
from shared.platform.alerts.service import reconcile
from shared.platform.alerts.settings import AlertSettings
from shared.platform.alerts.webhook import Deliveries, deliver_alerts

if TYPE_CHECKING:
    from shared.platform.runtime import NetworkRuntime, SettingsT

log = structlog.get_logger(__name__)

LOCK = "alerts-evaluate"
DUE_KEY = "alerts:evaluated"
LAST_EVALUATED_KEY = "alerts:last_evaluated"
"""When the last evaluation ran (epoch seconds): the API's watch reads it."""


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    opened: list[AlertMixin] = field(default_factory=list)
    resolved: list[AlertMixin] = field(default_factory=list)
    deliveries: Deliveries = field(default_factory=Deliveries)


async def evaluate_alerts(
    *,
    runtime: NetworkRuntime[SettingsT],
    tables: AlertTables,
    ctx: TransferContext,
    settings: AlertSettings,
) -> Evaluation | None:
    """Evaluate every rule once; None when another process is evaluating right now."""
    async with runtime.locks.hold(LOCK) as held:
        if not held:
            return None
        at = utcnow()
        async with runtime.unit_of_work() as uow:
            seen = await observe(
                session=uow.session,
                ctx=ctx,
                heartbeat_model=tables.heartbeat,
                cache=runtime.cache,
                settings=settings,
                production=not runtime.settings.embedded,
                at=at,
            )
            findings = find_problems(seen, settings)
            changes = await reconcile(
                session=uow.session,
                tables=tables,
                findings=findings,
                at=at,
                webhook=settings.alert_webhook_url is not None,
            )
        await runtime.cache.set(LAST_EVALUATED_KEY, str(at.timestamp()).encode(), ttl=86_400)
        metrics = runtime.alert_metrics
        for alert in changes.opened:
            log.warning("alert_opened", rule=alert.rule, subject=alert.subject)
        for alert in changes.resolved:
            log.info("alert_resolved", rule=alert.rule, subject=alert.subject)
        deliveries = await deliver_alerts(
            unit_of_work=runtime.unit_of_work,
            model=tables.alert,
            settings=settings,
            network=ctx.network,
            metrics=metrics,
        )
    return Evaluation(findings, changes.opened, changes.resolved, deliveries)


async def evaluate_alerts_when_due(
    *, runtime: NetworkRuntime[SettingsT], tables: AlertTables, ctx: TransferContext
) -> Evaluation | None:
    """At most once per `alert_evaluate_seconds` across all workers (the job ticks faster;
    the interval is a setting, read at run time)."""
    settings = runtime.settings
    if await runtime.cache.incr(DUE_KEY, ttl=settings.alert_evaluate_seconds) > 1:
        return None
    return await evaluate_alerts(runtime=runtime, tables=tables, ctx=ctx, settings=settings)
