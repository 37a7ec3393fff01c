"""Audit events: who did what to which object, when, from where, and with what result.

Each network declares its `audit_event` table from `AuditEventMixin` (like the heartbeat
table) and writes events with `record_audit` inside the transaction of the change itself, so
an event exists exactly when its change was committed. Events are append-only: the ORM
refuses to update or delete them; the one exception is the retention job
(`purge_audit_events`), which deletes expired events in bulk and records that it did.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    String,
    Table,
    Uuid,
    and_,
    delete,
    event,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from core.db import UTCDateTime, new_id, utcnow
from core.errors import Invalid
from core.jobs import GivenUp, JobRegistry
from core.pagination import decode_cursor, encode_cursor
from core.runtime import Runtime

log = structlog.get_logger(__name__)

SECRET_WORDS = ("password", "secret", "hash", "token")
"""Detail keys containing one of these are refused: an audit trail must never hold secrets."""

ACTOR_NAME_LENGTH = 128
ADDRESS_LENGTH = 64


class AuditResult(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: a user (id and name), or a named system or command line."""

    id: uuid.UUID | None
    name: str
    address: str | None = None


class AuditEventMixin:
    """Columns of a network's `audit_event` table."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_name: Mapped[str] = mapped_column(String(ACTOR_NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    client_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    result: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def _refuse_change(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    raise RuntimeError(f"audit events are append-only (tried to change {target.id})")


event.listen(AuditEventMixin, "before_update", _refuse_change, propagate=True)
event.listen(AuditEventMixin, "before_delete", _refuse_change, propagate=True)


def _check_no_secrets(details: Mapping[str, Any], path: str = "") -> None:
    for key, value in details.items():
        lowered = str(key).lower()
        if any(word in lowered for word in SECRET_WORDS):
            raise ValueError(f"audit details must not carry secrets: {path}{key}")
        if isinstance(value, Mapping):
            _check_no_secrets(value, f"{path}{key}.")


EventT = TypeVar("EventT", bound=AuditEventMixin)


def record_audit(
    *,
    session: AsyncSession,
    model: type[EventT],
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    result: AuditResult = AuditResult.SUCCESS,
    details: Mapping[str, Any] | None = None,
) -> EventT:
    """Add one event to the session's transaction; it commits or rolls back with the change."""
    if details:
        _check_no_secrets(details)
    audit_event = model()
    audit_event.id = new_id()
    audit_event.occurred_at = utcnow()
    audit_event.actor_id = actor.id
    audit_event.actor_name = actor.name[:ACTOR_NAME_LENGTH]
    audit_event.action = action
    audit_event.object_type = object_type
    audit_event.object_id = None if object_id is None else str(object_id)
    audit_event.client_address = actor.address[:ADDRESS_LENGTH] if actor.address else None
    audit_event.result = result.value
    audit_event.details = dict(details) if details else None
    session.add(audit_event)
    return audit_event


# Reading the trail: the same filters and keyset pages on both networks.


@dataclass(frozen=True)
class AuditFilters:
    """Every given filter must match; `since` is inclusive, `until` exclusive."""

    actor_id: uuid.UUID | None = None
    actor_name: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _as_utc(moment: datetime) -> datetime:
    """A time without an offset is taken as UTC, the zone every stored time is in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def list_audit_events(
    *,
    session: AsyncSession,
    model: type[EventT],
    filters: AuditFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[EventT], str | None]:
    """One page of events, newest first, and the cursor of the next page (None: the last)."""
    since = _as_utc(filters.since) if filters.since else None
    until = _as_utc(filters.until) if filters.until else None
    if since is not None and until is not None and since > until:
        raise Invalid("`from` must not be after `to`", code="invalid.time_range")
    conditions: list[ColumnElement[bool]] = [
        column == value
        for column, value in (
            (model.actor_id, filters.actor_id),
            (model.actor_name, filters.actor_name),
            (model.action, filters.action),
            (model.object_type, filters.object_type),
            (model.object_id, filters.object_id),
        )
        if value is not None
    ]
    if since is not None:
        conditions.append(model.occurred_at >= since)
    if until is not None:
        conditions.append(model.occurred_at < until)
    if cursor is not None:
        at, last_id = decode_cursor(cursor)
        conditions.append(
            or_(model.occurred_at < at, and_(model.occurred_at == at, model.id < last_id))
        )
    statement = (
        select(model)
        .where(*conditions)
        .order_by(model.occurred_at.desc(), model.id.desc())
        .limit(limit + 1)
    )
    events = list((await session.scalars(statement)).all())
    if len(events) <= limit:
        return events, None
    page = events[:limit]
    return page, encode_cursor(page[-1].occurred_at, page[-1].id)


# Retention: the one deletion of audit events, and it is audited itself.

RETENTION_ACTOR = Actor(id=None, name="audit-retention")
RETENTION_EVERY = 86_400.0
"""Seconds between two retention runs: daily."""


async def purge_audit_events(
    *, session: AsyncSession, model: type[AuditEventMixin], retention_days: int
) -> int:
    """Delete the events older than `retention_days` (0: keep all) in one statement and
    record one event saying how many went; returns that number."""
    if retention_days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=retention_days)
    table = cast(Table, getattr(model, "__table__"))  # noqa: B009 - declared by the subclass
    # A Core DELETE on purpose: the ORM guard refuses deletes of single events, this is the
    # retention policy itself.
    result = cast(
        CursorResult[Any],
        await session.execute(delete(table).where(table.c.occurred_at < cutoff)),
    )
    deleted = int(result.rowcount or 0)
    if deleted:
        record_audit(
            session=session,
            model=model,
            actor=RETENTION_ACTOR,
            action="audit.purged",
            object_type="audit",
            details={
                "deleted": deleted,
                "older_than": cutoff.isoformat(),
                "retention_days": retention_days,
            },
        )
    return deleted


def register_retention_job(registry: JobRegistry, model: type[AuditEventMixin]) -> None:
    """The network's daily `audit_retention` job, following `audit_retention_days`."""

    @registry.job("audit_retention", every=RETENTION_EVERY)
    async def audit_retention(runtime: Runtime[Any]) -> None:
        async with runtime.unit_of_work() as uow:
            deleted = await purge_audit_events(
                session=uow.session,
                model=model,
                retention_days=runtime.settings.audit_retention_days,
            )
        log.info("audit_purged", deleted=deleted)


# Poison messages: a Celery task given up after killing its worker on every delivery.

JOBS_ACTOR = Actor(id=None, name="jobs")


def audit_given_up_jobs(registry: JobRegistry, model: type[AuditEventMixin]) -> None:
    """Record each task the network's Celery workers give up as `job.given_up`."""

    async def record(runtime: Runtime[Any], given_up: GivenUp) -> None:
        async with runtime.unit_of_work() as uow:
            record_audit(
                session=uow.session,
                model=model,
                actor=JOBS_ACTOR,
                action="job.given_up",
                object_type="job",
                object_id=given_up.task_id,
                result=AuditResult.FAILURE,
                details={
                    "job": given_up.job,
                    "deliveries": given_up.deliveries,
                    "request_id": given_up.request_id,
                },
            )

    registry.on_given_up(record)
