"""Reading the audit trail, newest first (writing is `core.audit.record_audit`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from response_network.audit.models import AuditEvent
from response_network.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    object_id: str | None = None


async def list_audit_events(
    *, session: AsyncSession, filters: AuditFilters, cursor: str | None = None, limit: int = 50
) -> tuple[list[AuditEvent], str | None]:
    statement = (
        select(AuditEvent)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if filters.action is not None:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.object_id is not None:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if cursor is not None:
        position = decode_cursor(cursor, keys=frozenset({"at", "id"}))
        try:
            at, last_id = datetime.fromisoformat(position["at"]), uuid.UUID(position["id"])
        except ValueError as exc:
            raise Invalid("cursor is not one this API returned", code="invalid.cursor") from exc
        if at.tzinfo is None:
            raise Invalid("cursor is not one this API returned", code="invalid.cursor")
        statement = statement.where(
            or_(
                AuditEvent.occurred_at < at,
                and_(AuditEvent.occurred_at == at, AuditEvent.id < last_id),
            )
        )
    events = list((await session.scalars(statement)).all())
    if len(events) <= limit:
        return events, None
    page = events[:limit]
    last = page[-1]
    return page, encode_cursor({"at": last.occurred_at.isoformat(), "id": str(last.id)})
