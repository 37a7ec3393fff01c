"""Requests imported from the request network.

`request` holds what travelled (the imported columns, written only by the `requests` stream's
versioned upsert) plus this side's bookkeeping (status, claim, attempts), which never travels
back as such: every status change is mirrored onto the request's `response` row
(`response_network.responses`), which is tracked and exported on the `responses` stream.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, SmallInteger, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from response_network.db import Base


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    ANSWERED = "answered"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    """Its owner cancelled it before it was decided: final, never answered or retried."""


UNANSWERED = (RequestStatus.RECEIVED, RequestStatus.PROCESSING)


class Request(Base):
    """A submitted request. Local columns have server defaults: the versioned upsert writes
    only the imported ones, so the database fills the rest on insert and keeps them on update.

    `claimed_by` and `claim_expires_at` hold an operator's claim; a worker running the
    handler holds a lease the same way with `claimed_by` null.
    """

    __tablename__ = "request"
    __table_args__ = (
        Index("ix_request_queue", "status", "priority", "submitted_at"),
        Index("ix_request_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    """No foreign key: a request must import even if its owner's record has not (yet)."""
    request_type: Mapped[str] = mapped_column(String(64))
    type_version: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(SmallInteger)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Imported: when the owner asked to cancel (see `requests.cancel`)."""
    version: Mapped[int] = mapped_column(Integer)

    status: Mapped[str] = mapped_column(
        String(16), default=RequestStatus.RECEIVED, server_default=RequestStatus.RECEIVED.value
    )
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Handler runs started; at `answer_max_attempts` only an operator answers it. An admin's
    retry (`requests.retry`) starts the count again."""
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Times an admin retried it after it failed; each retry is audited as `request.retry`
    with the failure it ended (when, reason, attempts used)."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
