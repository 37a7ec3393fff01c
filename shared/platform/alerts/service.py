"""Alert records: open, keep, resolve (with an audit event each time), and list them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.pagination import decode_cursor, encode_cursor
from shared.platform.alerts.models import (
    SUBJECT_LENGTH,
    SUMMARY_LENGTH,
    AlertMixin,
    AlertState,
    AlertTables,
    DeliveryState,
)
from shared.platform.alerts.rules import Finding, Rule

ALERTS_ACTOR = Actor(id=None, name="alerts")


@dataclass
class Reconciled:
    opened: list[AlertMixin] = field(default_factory=list)
    resolved: list[AlertMixin] = field(default_factory=list)


def _await_delivery(alert: AlertMixin, *, webhook: bool, at: datetime) -> None:
    """The alert's new state is news for the webhook (if there is one)."""
    alert.delivery_state = DeliveryState.PENDING if webhook else DeliveryState.NONE
    alert.delivery_attempts = 0
    alert.next_delivery_at = at if webhook else None
    alert.delivery_error = None


def _audit(session: AsyncSession, tables: AlertTables, alert: AlertMixin, action: str) -> None:
    record_audit(
        session=session,
        model=tables.audit,
        actor=ALERTS_ACTOR,
        action=action,
        object_type="alert",
        object_id=alert.id,
        details={"rule": alert.rule, "subject": alert.subject, "severity": alert.severity},
    )


async def reconcile(
    *,
    session: AsyncSession,
    tables: AlertTables,
    findings: Sequence[Finding],
    at: datetime,
    webhook: bool,
) -> Reconciled:
    """Open an alert for each new finding, refresh the ones still found, resolve the rest."""
    model = tables.alert
    current = {
        (alert.rule, alert.subject): alert
        for alert in (await session.scalars(select(model).where(model.state == AlertState.OPEN)))
    }
    found = {(item.rule.value, item.subject[:SUBJECT_LENGTH]): item for item in findings}
    result = Reconciled()
    for key, finding in found.items():
        alert = current.get(key)
        if alert is None:
            alert = model(
                id=uuid.uuid4(),
                rule=finding.rule.value,
                subject=key[1],
                state=AlertState.OPEN.value,
                first_seen_at=at,
            )
            _await_delivery(alert, webhook=webhook, at=at)
            session.add(alert)
            result.opened.append(alert)
        alert.severity = finding.severity.value
        alert.summary = finding.summary[:SUMMARY_LENGTH]
        alert.details = finding.details
        alert.last_seen_at = at
    for alert in result.opened:
        _audit(session, tables, alert, "alert.opened")
    for key, alert in current.items():
        if key not in found:
            alert.state = AlertState.RESOLVED.value
            alert.resolved_at = at
            _await_delivery(alert, webhook=webhook, at=at)
            result.resolved.append(alert)
            _audit(session, tables, alert, "alert.resolved")
    await session.flush()
    return result


async def list_alerts(
    *,
    session: AsyncSession,
    model: type[AlertMixin],
    state: AlertState | None = None,
    rule: Rule | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AlertMixin], str | None]:
    """Newest first (by when the alert opened, which never changes, so pages are stable)."""
    statement = select(model).order_by(model.first_seen_at.desc(), model.id.desc()).limit(limit + 1)
    if state is not None:
        statement = statement.where(model.state == state.value)
    if rule is not None:
        statement = statement.where(model.rule == rule.value)
    if cursor is not None:
        at, last_id = decode_cursor(cursor)
        statement = statement.where(
            or_(model.first_seen_at < at, and_(model.first_seen_at == at, model.id < last_id))
        )
    alerts = list((await session.scalars(statement)).all())
    if len(alerts) <= limit:
        return alerts, None
    page = alerts[:limit]
    return page, encode_cursor(page[-1].first_seen_at, page[-1].id)
