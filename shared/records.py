"""Record schemas of the streams: the contract between the networks, validated on import.

Unknown fields are errors (`extra="forbid"`), strings are bounded, and every record carries
the `version` the versioned upsert compares.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from core.inputs import JSON_INTEGER

SCHEMA_VERSION = 1


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)


class UserRecord(Record):
    kind: Literal["user"] = "user"
    id: uuid.UUID
    username: str = Field(min_length=1, max_length=64)
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)
    role: Literal["admin", "operator", "user"]
    active: bool
    password_hash: str | None = Field(max_length=255)
    profile: str = Field(max_length=64)
    limit_overrides: dict[str, Any] | None = None
    password_changed_at: datetime | None = None
    """The last password change: tokens issued before it are refused (their `stamp` differs).
    Absent in batches of older senders: never changed."""
    created_at: datetime
    updated_at: datetime


class ApiKeyRecord(Record):
    kind: Literal["api_key"] = "api_key"
    id: uuid.UUID
    user_id: uuid.UUID
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=32)
    secret_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=50)
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class UsersStreamRecord(
    RootModel[Annotated[UserRecord | ApiKeyRecord, Field(discriminator="kind")]]
):
    """One line of the `users` stream: a user or one of its API keys."""


Window = Literal["minute", "hour", "day", "month"]
"""The rate-limit windows a profile bounds."""


Submissions = Annotated[int, Field(ge=0, le=1_000_000_000), JSON_INTEGER]
"""A count of submissions in one window."""


class WindowLimit(BaseModel):
    """Crossing `soft` adds a warning; crossing `hard` refuses (429)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    soft: Submissions
    hard: Submissions

    @model_validator(mode="after")
    def _soft_below_hard(self) -> WindowLimit:
        if self.soft > self.hard:
            raise ValueError("soft must not exceed hard")
        return self


WindowLimits = dict[Window, WindowLimit]
"""`{"minute": {"soft": 10, "hard": 20}, ...}`: a profile's global limits, a type's limits."""

CatalogName = Annotated[str, Field(min_length=1, max_length=64)]


class RequestTypeRecord(Record):
    """A request type as the request network needs it: what to ask and how; never the
    handler's settings (queries, index names and data sources stay on the master)."""

    kind: Literal["request_type"] = "request_type"
    id: uuid.UUID
    name: CatalogName
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    active: bool
    handler: str = Field(max_length=64)
    parameter_schema: dict[str, Any]
    expected_answer_seconds: int = Field(ge=0)
    max_results: int | None = Field(default=None, ge=1)
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class ProfileRecord(Record):
    kind: Literal["profile"] = "profile"
    id: uuid.UUID
    name: CatalogName
    description: str = Field(max_length=500)
    limits: WindowLimits
    type_limits: dict[CatalogName, WindowLimits] = Field(default_factory=dict, max_length=1000)
    """Per request type, on top of `limits`; empty when an older sender leaves it out."""
    allow_all: bool
    allowed_types: list[CatalogName] = Field(max_length=1000)
    blocked_types: list[CatalogName] = Field(max_length=1000)
    max_results: int = Field(ge=1)
    max_parameter_bytes: int = Field(ge=1)
    max_priority: int = Field(default=5, ge=0, le=9)
    """The highest priority its users may submit; 5 (the default priority) when an older
    sender leaves it out."""
    created_at: datetime
    updated_at: datetime


class GrantRecord(Record):
    """One extra request type granted to one user, beyond their profile."""

    kind: Literal["grant"] = "grant"
    id: uuid.UUID
    user_id: uuid.UUID
    request_type: CatalogName
    limits: WindowLimits = Field(default_factory=dict)
    """The grantee's own limits on this type, on top of the profile's (the tighter applies)."""
    created_at: datetime
    revoked_at: datetime | None = None


class CatalogStreamRecord(
    RootModel[
        Annotated[RequestTypeRecord | ProfileRecord | GrantRecord, Field(discriminator="kind")]
    ]
):
    """One line of the `catalog` stream: a request type, a profile or a grant."""


class RequestRecord(Record):
    """A request as submitted on the request network; its status is each side's own.

    `kind` names the record (as on every stream); the request's type is `request_type`, at the
    catalog version `type_version` the parameters were checked against.
    """

    kind: Literal["request"] = "request"
    id: uuid.UUID
    owner_id: uuid.UUID
    request_type: CatalogName
    type_version: int = Field(ge=1)
    parameters: dict[str, Any]
    priority: int = Field(ge=0, le=9)
    submitted_at: datetime
    cancel_requested_at: datetime | None = Field(default=None, exclude_if=lambda v: v is None)
    """When its owner asked to cancel it; the one field the request network sets after the
    first export (the master stops the request if it is not decided yet). Left out of the
    line while unset, so a master that predates it still reads every other request."""


ARGON2ID_HASH = (
    r"^\$argon2id\$v=19\$m=\d{1,7},t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{8,64}\$[A-Za-z0-9+/]{16,128}$"
)
"""The PHC string of an argon2id hash, as `core.security` writes it."""


class PasswordChangeRecord(Record):
    """A user changed their own password on the request network: its new hash travels to
    the master, which applies it only to an active account of role `user` and only when no
    later change is known there. Never the plaintext; argon2id only."""

    kind: Literal["password_change"] = "password_change"
    id: uuid.UUID
    user_id: uuid.UUID
    password_hash: str = Field(max_length=255, pattern=ARGON2ID_HASH)
    changed_at: datetime


class RequestsStreamRecord(
    RootModel[Annotated[RequestRecord | PasswordChangeRecord, Field(discriminator="kind")]]
):
    """One line of the `requests` stream: a submitted request, or a password change."""


ResponseStatus = Literal["received", "processing", "answered", "failed", "rejected", "cancelled"]
"""What the master reports of a request; `pending`, `exported` and `delivered` are the
request network's own."""


class ResponseRecord(Record):
    """The master's state of one request, and its answer once there is one.

    One record per request (`id` is the request's id), versioned like every record: a newer
    answer or status replaces the older one. `answer_number` counts answers, so a reader can
    tell a re-answer from a status change.
    """

    kind: Literal["response"] = "response"
    id: uuid.UUID
    status: ResponseStatus
    reason: str | None = Field(default=None, max_length=1000)
    """Why the request failed or was rejected, in words the user can read."""
    body: Any = None
    """The answer: JSON, or a string when `content_type` is a text type; None before one."""
    content_type: str | None = Field(default=None, max_length=100)
    answer_number: int = Field(ge=0)
    answered_by: str | None = Field(default=None, max_length=100)
    """`handler:<name>` for an automated answer, else the operator's username."""
    answered_at: datetime | None = None
    updated_at: datetime


class ResponsesStreamRecord(RootModel[Annotated[ResponseRecord, Field(discriminator="kind")]]):
    """One line of the `responses` stream: the state and answer of one request."""
