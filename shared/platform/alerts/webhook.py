"""Webhook delivery: POST each new or resolved alert as JSON; retry with backoff on failure.

Delivery is at least once: a receiver may see an alert's state twice (a crash between the
POST and the commit that records it) and should key on `alert.id` and `alert.state`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import UnitOfWork, utcnow
from shared.platform.alerts.metrics import AlertMetrics
from shared.platform.alerts.models import (
    DELIVERY_ERROR_LENGTH,
    AlertMixin,
    AlertState,
    DeliveryState,
)
from shared.platform.alerts.settings import AlertSettings

log = structlog.get_logger(__name__)

DELIVERIES_PER_RUN = 50
"""Bounds one run; what is left is due at the next."""


def alert_payload(alert: AlertMixin, *, network: str) -> dict[str, Any]:
    opened = alert.state == AlertState.OPEN
    return {
        "source": "airlock",
        "network": network,
        "event": "alert.opened" if opened else "alert.resolved",
        "alert": {
            "id": str(alert.id),
            "rule": alert.rule,
            "severity": alert.severity,
            "subject": alert.subject,
            "state": alert.state,
            "summary": alert.summary,
            "details": alert.details,
            "first_seen_at": alert.first_seen_at.isoformat(),
            "last_seen_at": alert.last_seen_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        },
    }


async def due_deliveries(
    *, session: AsyncSession, model: type[AlertMixin], at: datetime, limit: int
) -> list[AlertMixin]:
    statement = (
        select(model)
        .where(
            model.delivery_state == DeliveryState.PENDING,
            (model.next_delivery_at.is_(None)) | (model.next_delivery_at <= at),
        )
        .order_by(model.first_seen_at, model.id)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def post_alert(client: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> str | None:
    """None when the webhook took it (2xx), else why not, without the URL (it may hold a
    token)."""
    try:
        # Streamed and never read: a receiver's answer body, however large, costs nothing.
        async with client.stream("POST", url, json=payload) as answer:
            status = answer.status_code
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        return type(exc).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"


def retry_delay(attempts: int, settings: AlertSettings) -> timedelta:
    """Doubling from the base after each failure, capped."""
    seconds = settings.alert_webhook_retry_base_seconds * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.alert_webhook_retry_max_seconds))


@dataclass
class Deliveries:
    delivered: int = 0
    failed: int = 0
    left: int = 0
    """Due but not tried in this run: an earlier failure says the webhook is down."""


async def deliver_alerts(
    *,
    unit_of_work: Callable[[], UnitOfWork],
    model: type[AlertMixin],
    settings: AlertSettings,
    network: str,
    metrics: AlertMetrics | None = None,
) -> Deliveries:
    """Send what is due, outside any transaction, then record the outcomes."""
    result = Deliveries()
    if settings.alert_webhook_url is None:
        return result
    url = settings.alert_webhook_url.get_secret_value()
    async with unit_of_work() as uow:
        due = await due_deliveries(
            session=uow.session, model=model, at=utcnow(), limit=DELIVERIES_PER_RUN
        )
        sends = [(alert.id, alert.state, alert_payload(alert, network=network)) for alert in due]
    outcomes: list[tuple[uuid.UUID, str, str | None]] = []
    timeout = httpx.Timeout(settings.alert_webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for alert_id, state, payload in sends:
            error = await post_alert(client, url, payload)
            outcomes.append((alert_id, state, error))
            if error is not None:
                break
    result.left = len(sends) - len(outcomes)
    async with unit_of_work() as uow:
        now = utcnow()
        for alert_id, state, error in outcomes:
            alert = await uow.session.get(model, alert_id)
            if alert is None or alert.state != state:
                continue  # changed since: its new state is due on its own
            if error is None:
                alert.delivery_state = DeliveryState.DELIVERED.value
                alert.next_delivery_at = None
                alert.delivery_error = None
                result.delivered += 1
            else:
                alert.delivery_attempts += 1
                alert.next_delivery_at = now + retry_delay(alert.delivery_attempts, settings)
                alert.delivery_error = error[:DELIVERY_ERROR_LENGTH]
                result.failed += 1
                log.warning(
                    "alert_delivery_failed",
                    alert=str(alert_id),
                    error=error,
                    attempts=alert.delivery_attempts,
                )
    if metrics is not None:
        metrics.deliveries.labels("delivered").inc(result.delivered)
        metrics.deliveries.labels("failed").inc(result.failed)
    return result
