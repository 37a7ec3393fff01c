"""The `alert` table's columns, declared once; each network adds its own `Base`."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.audit import AuditEventMixin
from core.db import UTCDateTime, new_id
from core.heartbeat import WorkerHeartbeatMixin


class AlertState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Severity(enum.StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class DeliveryState(enum.StrEnum):
    NONE = "none"
    """No webhook was configured when the alert opened or resolved."""
    PENDING = "pending"
    """The current state still has to reach the webhook (retried with backoff)."""
    DELIVERED = "delivered"


SUBJECT_LENGTH = 255
SUMMARY_LENGTH = 500
DELIVERY_ERROR_LENGTH = 200


class AlertMixin:
    """One row per episode: a (rule, subject) opens, stays open while its condition holds,
    and resolves when it clears; the next occurrence is a new row."""

    if TYPE_CHECKING:  # the mapped subclass accepts columns as keywords

        def __init__(self, **kwargs: Any) -> None: ...

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        table = getattr(cls, "__tablename__", "alert")
        open_only = text("state = 'open'")
        return (
            # At most one open alert per (rule, subject), even if two evaluations raced.
            Index(
                f"uq_{table}_open_rule_subject",
                "rule",
                "subject",
                unique=True,
                postgresql_where=open_only,
                sqlite_where=open_only,
            ),
            Index(f"ix_{table}_state_first_seen", "state", "first_seen_at"),
            Index(f"ix_{table}_delivery", "delivery_state", "next_delivery_at"),
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    rule: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(SUMMARY_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_state: Mapped[str] = mapped_column(String(16))
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Failed attempts at delivering the current state; reset when the state changes."""
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(String(DELIVERY_ERROR_LENGTH))
    """Why the last attempt failed (`HTTP 500`, `ConnectError`); never the URL."""


@dataclass(frozen=True)
class AlertTables:
    """A network's concrete tables the evaluation reads and writes."""

    alert: type[AlertMixin]
    audit: type[AuditEventMixin]
    heartbeat: type[WorkerHeartbeatMixin]
