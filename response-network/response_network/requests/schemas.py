"""What the operator API takes and shows of requests, claims and responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from response_network.requests.models import RequestStatus
from response_network.requests.retry import MAX_RETRY_PER_CALL
from response_network.schemas import NO_NUL, Schema

TEXT_TYPES = ("text/",)


class ClaimRead(Schema):
    holder: str
    """The operator's username, or `handler` while a worker runs the request's handler."""
    holder_id: uuid.UUID | None
    expires_at: datetime


class ResponseRead(Schema):
    """What the request network receives on the `responses` stream."""

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
    response: ResponseRead | None


class RequestPage(Schema):
    items: list[RequestRead]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class ResponseCreate(Schema):
    """An operator's answer (`answered`) or refusal (`failed`, `rejected`, with a reason)."""

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
    counts: dict[RequestStatus, int]
    """Requests per status (every status present, zero included)."""
    total: int
    oldest_unanswered_age_seconds: float | None
    """Age since submission of the oldest request not decided yet; null if none."""


class RetryFilter(Schema):
    """Which failed requests `POST /admin/requests/retry` retries; every given bound holds."""

    request_type: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_NUL)
    failed_from: AwareDatetime | None = None
    """When it failed, from inclusive; `failed_to` is exclusive."""
    failed_to: AwareDatetime | None = None
    received_from: AwareDatetime | None = None
    received_to: AwareDatetime | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    """A substring of the failure's reason, case-insensitive."""
    limit: int = Field(default=MAX_RETRY_PER_CALL, ge=1, le=MAX_RETRY_PER_CALL)


class BulkRetryRead(Schema):
    retried: int
    skipped: int
    """Matched, but not retried: their type is deleted or inactive."""
    limit: int
    more: bool
    """More failed requests matched than `limit`: call again to retry the next ones."""
