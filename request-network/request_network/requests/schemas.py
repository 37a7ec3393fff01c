"""What the API takes and shows of requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from request_network.requests.models import RequestStatus
from request_network.schemas import Schema


class RequestCreate(Schema):
    kind: str = Field(min_length=1, max_length=64)
    """A request type of the catalog (`GET /request-types`)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Checked against the type's parameter schema before anything is stored."""
    priority: int = Field(default=5, ge=0, le=9)


class RequestRead(Schema):
    id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    type_version: int
    parameters: dict[str, Any]
    priority: int
    status: RequestStatus
    status_reason: str | None
    cancel_requested_at: datetime | None = None
    """Set when its owner cancelled it after export: `cancelled` once the master confirms."""
    created_at: datetime
    updated_at: datetime


class RequestEventRead(Schema):
    status: RequestStatus
    at: datetime
    reason: str | None


class RequestDetail(RequestRead):
    history: list[RequestEventRead]
    """Every status the request went through, oldest first."""


class RequestPage(Schema):
    items: list[RequestRead]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class RequestMonitor(Schema):
    counts: dict[RequestStatus, int]
    """Requests per status (every status present, zero included)."""
    total: int
    oldest_unanswered_age_seconds: float | None
    """Age of the oldest request not answered yet (pending to processing); null if none."""
