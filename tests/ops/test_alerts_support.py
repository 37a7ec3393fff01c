"""Helpers the alert tests share (no tests here): evaluate a network's rules, read its alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from core.runtime import Runtime
from request_network.alerts.models import TABLES as REQUEST_TABLES
from request_network.transfer.service import transfer_context as request_context
from response_network.alerts.models import TABLES as RESPONSE_TABLES
from response_network.transfer.service import transfer_context as response_context
from shared.exchange.context import TransferContext
from shared.platform.alerts.flows import Evaluation, evaluate_alerts
from shared.platform.alerts.models import AlertMixin, AlertTables
from shared.platform.runtime import NetworkRuntime

SIDES: dict[str, tuple[AlertTables, Callable[[Any], TransferContext]]] = {
    "request": (REQUEST_TABLES, request_context),
    "response": (RESPONSE_TABLES, response_context),
}


def tables_of(runtime: Runtime[Any]) -> AlertTables:
    return SIDES[runtime.settings.network_name][0]


def context_of(runtime: Runtime[Any]) -> TransferContext:
    return SIDES[runtime.settings.network_name][1](runtime)


async def evaluate(
    runtime: NetworkRuntime[Any], *, ctx: TransferContext | None = None, **settings: Any
) -> Evaluation:
    """One evaluation with these settings changed. The disk rule stays quiet unless a test
    sets its threshold (this machine's disk is not the subject of the other tests)."""
    changed = runtime.settings.model_copy(update={"alert_disk_used_ratio": 1.0, **settings})
    result = await evaluate_alerts(
        runtime=runtime,
        tables=tables_of(runtime),
        ctx=ctx or context_of(runtime),
        settings=changed,
    )
    assert result is not None
    return result


async def alerts(runtime: Runtime[Any], rule: str | None = None) -> list[AlertMixin]:
    model = tables_of(runtime).alert
    statement = select(model).order_by(model.first_seen_at, model.subject)
    if rule is not None:
        statement = statement.where(model.rule == rule)
    async with runtime.unit_of_work() as uow:
        return list((await uow.session.scalars(statement)).all())


async def open_alerts(runtime: Runtime[Any], rule: str | None = None) -> list[AlertMixin]:
    return [alert for alert in await alerts(runtime, rule) if alert.state == "open"]
