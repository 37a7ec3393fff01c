"""What the API takes and shows of requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator

from core.inputs import JSON_INTEGER
from request_network.requests.models import RequestStatus
from request_network.schemas import Schema

RENAMED = "`kind` is now called `request_type`"


def refuse_renamed(value: object) -> object:
    """A client still sending the old name gets a 422 that names the new one, rather than a
    bare "extra field" (no released client sends `kind`, so nothing accepts it any more)."""
    raise ValueError(RENAMED)


_SUBMISSION: dict[str, Any] = {
    "request_type": "equipment_search",
    "parameters": {"q": "pump", "site": "north"},
    "priority": 5,
}
_REQUEST: dict[str, Any] = {
    **_SUBMISSION,
    "id": "3f2c6d1e-8b4a-4c5e-9d7f-2a1b0c9e8d7f",
    "owner_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "type_version": 2,
    "status": "answered",
    "status_reason": None,
    "cancel_requested_at": None,
    "created_at": "2026-12-04T09:30:00Z",
    "updated_at": "2026-12-04T09:30:04Z",
}
_EXPORTED: dict[str, Any] = {"status": "exported", "at": "2026-12-04T09:30:01Z", "reason": None}
_MINUTE: dict[str, Any] = {
    "window": "minute",
    "seconds": 60,
    "soft": None,
    "hard": 10,
    "used": 3,
    "remaining": 7,
    "reset_at": "2026-12-04T09:31:00Z",
    "reset_after_seconds": 42,
}
_TYPE_QUOTA: dict[str, Any] = {"request_type": "equipment_search", "windows": [_MINUTE]}


class RequestCreate(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBMISSION]})

    request_type: str = Field(min_length=1, max_length=64)
    """A request type of the catalog (`GET /request-types`)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Checked against the type's parameter schema before anything is stored."""
    priority: Annotated[int, Field(ge=0, le=9), JSON_INTEGER] = 5

    @model_validator(mode="before")
    @classmethod
    def _no_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            refuse_renamed(data["kind"])
        return data


class RequestRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_REQUEST]})

    id: uuid.UUID
    owner_id: uuid.UUID
    request_type: str
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
    model_config = ConfigDict(json_schema_extra={"examples": [_EXPORTED]})

    status: RequestStatus
    at: datetime
    reason: str | None


class RequestDetail(RequestRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_REQUEST,
                    "history": [
                        {"status": "pending", "at": "2026-12-04T09:30:00Z", "reason": None},
                        _EXPORTED,
                        {"status": "answered", "at": "2026-12-04T09:30:04Z", "reason": None},
                    ],
                }
            ]
        }
    )

    history: list[RequestEventRead]
    """Every status the request went through, oldest first."""


class RequestPage(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [_REQUEST], "next_cursor": "eyJrIjpbIjIwMjYtMTItMDRUMDk6MzA6MDBaIl19"}
            ]
        }
    )

    items: list[RequestRead]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class RequestMonitor(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "counts": {
                        "pending": 2,
                        "exported": 5,
                        "received": 0,
                        "processing": 1,
                        "answered": 40,
                        "failed": 1,
                        "rejected": 0,
                        "delivered": 912,
                        "cancelled": 3,
                    },
                    "total": 964,
                    "oldest_unanswered_age_seconds": 41.5,
                }
            ]
        }
    )

    counts: dict[RequestStatus, int]
    """Requests per status (every status present, zero included)."""
    total: int
    oldest_unanswered_age_seconds: float | None
    """Age of the oldest request not answered yet (pending to processing); null if none."""


class WindowQuota(Schema):
    """One window: its limits, what is used and when the oldest counted submission leaves."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MINUTE]})

    window: str
    seconds: int
    soft: int | None
    hard: int
    used: int
    remaining: int
    reset_at: datetime | None
    """When the window frees its oldest counted submission (null: nothing counted)."""
    reset_after_seconds: int


class RequestTypeQuota(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_TYPE_QUOTA]})

    request_type: str
    windows: list[WindowQuota]


class QuotaRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "profile": "analysts",
                    "windows": [_MINUTE],
                    "request_types": [_TYPE_QUOTA],
                }
            ]
        }
    )

    user_id: uuid.UUID
    profile: str
    windows: list[WindowQuota]
    """The windows every submission counts in."""
    request_types: list[RequestTypeQuota]
    """Types with limits of their own (the profile's or a grant's), counted on top."""
