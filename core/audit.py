"""Audit events: who did what to which object, when, from where, and with what result.

Each network declares its `audit_event` table from `AuditEventMixin` (like the heartbeat
table) and writes events with `record_audit` inside the transaction of the change itself, so
an event exists exactly when its change was committed. Events are append-only: the ORM
refuses to update or delete them, and no code path does it otherwise.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, String, Uuid, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from core.db import UTCDateTime, new_id, utcnow

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
