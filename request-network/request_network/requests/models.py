"""Requests as submitted here, and the history of their status.

A request's id is minted on this network; what travels to the master (request type,
parameters, priority, ...) bumps `version`, while the status is this side's own bookkeeping:
it learns of `received`, `answered` and the rest from batches coming back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, new_id, utcnow
from request_network.db import Base
from request_network.transfer.models import ChangeLog
from shared.changes import Tracked
from shared.streams import REQUESTS_STREAM


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    EXPORTED = "exported"
    RECEIVED = "received"
    PROCESSING = "processing"
    ANSWERED = "answered"
    FAILED = "failed"
    REJECTED = "rejected"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    """Its owner cancelled it: at once while `pending`, else once the master stopped it."""


UNANSWERED = (
    RequestStatus.PENDING,
    RequestStatus.EXPORTED,
    RequestStatus.RECEIVED,
    RequestStatus.PROCESSING,
)


class Request(Base):
    __tablename__ = "request"
    __tracked__ = Tracked(
        REQUESTS_STREAM,
        "request",
        ChangeLog,
        # The status is local bookkeeping: changing it neither bumps `version` nor exports.
        local_only=frozenset(
            {"status", "status_reason", "delivered_answer", "idempotency_key", "request_hash"}
        ),
    )
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key"),
        Index("ix_request_owner_id_created_at", "owner_id", "created_at"),
        Index("ix_request_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    request_type: Mapped[str] = mapped_column(String(64))
    type_version: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    delivered_answer: Mapped[int | None] = mapped_column(Integer)
    """The `answer_number` the owner read when the request became `delivered`; a higher one
    arriving makes it `answered` again."""
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its owner asked to cancel it after it was exported: travels to the master (a
    tracked column, so setting it bumps `version`), which stops the request if it can."""
    request_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of the submitted request type, parameters and priority: a replay must match it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)


class RequestEvent(Base):
    """One status a request went through, appended whenever the status changes."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("request.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(1000))
