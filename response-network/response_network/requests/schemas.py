"""What the operator API takes and shows of requests, claims and responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from core.inputs import JSON_INTEGER, DateTime
from response_network.requests.models import RequestStatus
from response_network.requests.retry import MAX_RETRY_PER_CALL
from response_network.schemas import NO_NUL, Schema

TEXT_TYPES = ("text/",)

# The examples follow one request: alice asks for a calibration certificate (a type the
# `manual` handler leaves to operators), olivia claims it and answers.
_CLAIM: dict[str, Any] = {
    "holder": "olivia",
    "holder_id": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
    "expires_at": "2026-12-04T10:05:00Z",
}
_REQUEST: dict[str, Any] = {
    "id": "3f2c6d1e-8b4a-4c5e-9d7f-2a1b0c9e8d7f",
    "owner_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "request_type": "calibration_certificate",
    "type_version": 1,
    "parameters": {"asset_id": "eq-0123"},
    "priority": 5,
    "submitted_at": "2026-12-04T09:30:00Z",
    "received_at": "2026-12-04T09:31:02Z",
    "status": "processing",
    "status_reason": None,
    "attempts": 0,
    "retries": 0,
    "next_attempt_at": None,
    "cancel_requested_at": None,
    "claim": _CLAIM,
    "updated_at": "2026-12-04T09:35:00Z",
}
_ANSWER_BODY: dict[str, Any] = {
    "asset_id": "eq-0123",
    "certificate": "CAL-2026-1187",
    "calibrated_on": "2026-11-20",
    "valid_until": "2027-11-20",
}
_RESPONSE: dict[str, Any] = {
    "status": "answered",
    "reason": None,
    "body": _ANSWER_BODY,
    "content_type": "application/json",
    "answer_number": 1,
    "answered_by": "olivia",
    "answered_at": "2026-12-04T09:41:18Z",
    "updated_at": "2026-12-04T09:41:18Z",
    "version": 2,
}


class ClaimRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLAIM]})

    holder: str
    """The operator's username, or `handler` while a worker runs the request's handler."""
    holder_id: uuid.UUID | None
    expires_at: datetime


class ResponseRead(Schema):
    """What the request network receives on the `responses` stream."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RESPONSE]})

    status: RequestStatus
    reason: str | None
    body: Any
    content_type: str | None
    answer_number: int
    answered_by: str | None
    answered_at: datetime | None
    updated_at: datetime
    version: int


class RequestRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_REQUEST]})

    id: uuid.UUID
    owner_id: uuid.UUID
    request_type: str
    type_version: int
    parameters: dict[str, Any]
    priority: int
    submitted_at: datetime
    received_at: datetime
    status: RequestStatus
    status_reason: str | None
    """Why it failed, or what the last failed attempt said while a retry is due."""
    attempts: int
    retries: int
    """Times an admin retried it after it failed (`POST /admin/requests/{id}/retry`)."""
    next_attempt_at: datetime | None
    cancel_requested_at: datetime | None
    """When its owner asked to cancel it (it is `cancelled` unless it was decided first)."""
    claim: ClaimRead | None = None
    """The live claim or worker lease; null when nobody holds the request."""
    updated_at: datetime


class RequestDetail(RequestRead):
    # Its own example: the inherited one lacks the required `response`.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_REQUEST,
                    "status": "answered",
                    "claim": None,
                    "updated_at": "2026-12-04T09:41:18Z",
                    "response": _RESPONSE,
                }
            ]
        }
    )

    response: ResponseRead | None


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


class ResponseCreate(Schema):
    """An operator's answer (`answered`) or refusal (`failed`, `rejected`, with a reason)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "answered", "body": _ANSWER_BODY}]}
    )

    status: Literal["answered", "failed", "rejected"]
    body: Any = None
    """JSON, or a string (sent as text unless `content_type` says otherwise)."""
    content_type: str | None = Field(
        default=None, min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+(;[ -~]*)?$"
    )
    reason: str | None = Field(default=None, min_length=1, max_length=1000)
    """Required for `failed` and `rejected`: what the user reads."""

    @model_validator(mode="after")
    def _complete(self) -> ResponseCreate:
        if self.status == "answered" and self.body is None:
            raise ValueError("an answer needs a body")
        if self.status != "answered" and not self.reason:
            raise ValueError(f"a {self.status} response needs a reason")
        is_text = self.content_type is not None and self.content_type.startswith(TEXT_TYPES)
        if is_text and not isinstance(self.body, str):
            raise ValueError(f"a {self.content_type} body must be a string")
        return self

    @property
    def resolved_content_type(self) -> str | None:
        if self.body is None:
            return None
        if self.content_type is not None:
            return self.content_type
        return "text/plain; charset=utf-8" if isinstance(self.body, str) else "application/json"


class RequestMonitor(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "counts": {
                        "received": 12,
                        "processing": 3,
                        "answered": 1480,
                        "failed": 7,
                        "rejected": 2,
                        "cancelled": 5,
                    },
                    "total": 1509,
                    "oldest_unanswered_age_seconds": 412.5,
                }
            ]
        }
    )

    counts: dict[RequestStatus, int]
    """Requests per status (every status present, zero included)."""
    total: int
    oldest_unanswered_age_seconds: float | None
    """Age since submission of the oldest request not decided yet; null if none."""


class RetryFilter(Schema):
    """Which failed requests `POST /admin/requests/retry` retries; every given bound holds."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_type": "equipment_search",
                    "failed_from": "2026-12-04T00:00:00Z",
                    "failed_to": "2026-12-05T00:00:00Z",
                    "reason": "timed out",
                    "limit": 100,
                }
            ]
        }
    )

    request_type: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_NUL)
    failed_from: DateTime | None = None
    """When it failed, from inclusive; `failed_to` is exclusive."""
    failed_to: DateTime | None = None
    received_from: DateTime | None = None
    received_to: DateTime | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    """A substring of the failure's reason, case-insensitive."""
    limit: Annotated[int, Field(ge=1, le=MAX_RETRY_PER_CALL), JSON_INTEGER] = MAX_RETRY_PER_CALL


class BulkRetryRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"retried": 37, "skipped": 1, "limit": 100, "more": False}]}
    )

    retried: int
    skipped: int
    """Matched, but not retried: their type is deleted or inactive."""
    limit: int
    more: bool
    """More failed requests matched than `limit`: call again to retry the next ones."""
