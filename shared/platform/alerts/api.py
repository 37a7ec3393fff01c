"""`GET /admin/alerts`, built for either network, and the app wiring alerts need."""

# No `from __future__ import annotations`: FastAPI must see the closure-built dependencies.

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict

from core.app import add_lifespan
from core.deps import UnitOfWorkDep
from core.openapi import api_router
from core.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, PageSize
from shared.exchange.context import TransferContext
from shared.platform.alerts import service
from shared.platform.alerts.http_outcomes import outcome_observer
from shared.platform.alerts.models import AlertMixin, AlertState, AlertTables
from shared.platform.alerts.rules import Rule
from shared.platform.alerts.watch import watch_lifespan
from shared.platform.runtime import RuntimeT


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_ALERT: dict[str, Any] = {
    "id": "7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f",
    "rule": "stream_lag",
    "severity": "warning",
    "subject": "requests",
    "state": "open",
    "summary": "requests: no batch received for 12 min (threshold 10 min)",
    "details": {"lag_seconds": 720, "threshold_seconds": 600},
    "first_seen_at": "2026-12-04T09:00:00Z",
    "last_seen_at": "2026-12-04T09:12:00Z",
    "resolved_at": None,
    "delivery_state": "delivered",
    "delivery_attempts": 1,
    "next_delivery_at": None,
    "delivery_error": None,
}


class AlertRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT]})

    id: uuid.UUID
    rule: str
    severity: str
    subject: str
    state: str
    summary: str
    details: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    delivery_state: str
    """`none` (no webhook), `pending` (retried with backoff) or `delivered`."""
    delivery_attempts: int
    next_delivery_at: datetime | None
    delivery_error: str | None


class AlertPage(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ALERT], "next_cursor": None}]}
    )

    items: list[AlertRead]
    next_cursor: str | None


def alerts_router(model: type[AlertMixin], admin: Callable[..., Any]) -> APIRouter:
    router = api_router(prefix="/admin/alerts", tags=["alerts"], dependencies=[Depends(admin)])

    @router.get(
        "", name="list", response_model=AlertPage, summary="Alerts, newest first, one page a time"
    )
    async def list_alerts(
        uow: UnitOfWorkDep,
        state: AlertState | None = None,
        rule: Rule | None = None,
        cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Any:
        alerts, next_cursor = await service.list_alerts(
            session=uow.session, model=model, state=state, rule=rule, cursor=cursor, limit=limit
        )
        return AlertPage(
            items=[AlertRead.model_validate(alert) for alert in alerts], next_cursor=next_cursor
        )

    return router


def install_alerts(
    app: FastAPI,
    runtime: RuntimeT,
    *,
    tables: AlertTables,
    context: Callable[[RuntimeT], TransferContext],
) -> None:
    """The HTTP answer counter behind `error_rate`, the deliveries counter (so
    /metrics names it before the first evaluation) and, in production, the API's watch over
    the workers (off with `jobs_enabled=false`, like the embedded scheduler). The state
    metrics are a probe the app's `metrics_probes` list takes: `alert_probe`; the route is
    `alerts_router`, in the network's routers."""
    settings = runtime.settings
    watch = not settings.embedded and settings.jobs_enabled
    if watch:
        add_lifespan(app, watch_lifespan(runtime, tables, context))
    app.state.answer_observers.append(outcome_observer(runtime.cache))
    runtime.alert_metrics  # noqa: B018 (built now, so /metrics names it before an evaluation)
