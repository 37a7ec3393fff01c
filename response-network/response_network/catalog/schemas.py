"""What the admin API reads and writes about the catalog. Every string and list is bounded."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from response_network.schemas import Schema
from shared.access import DEFAULT_MAX_PRIORITY, HIGHEST_PRIORITY
from shared.records import Window, WindowLimit

MAX_JSON_BYTES = 65_536


def _bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, separators=(",", ":"))) > MAX_JSON_BYTES:
        raise ValueError(f"must be at most {MAX_JSON_BYTES} bytes as JSON")
    return value


TypeName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]
"""The `request_type` users submit: a lowercase slug."""
ProfileName = TypeName
HandlerName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=4000)]
BoundedJson = Annotated[dict[str, Any], AfterValidator(_bounded_json)]
TypeList = Annotated[list[TypeName], Field(max_length=1000)]
Limits = Annotated[dict[Window, WindowLimit], Field(max_length=4)]
# Pydantic states the key pattern as `patternProperties`, which lets other keys through.
TypeLimits = Annotated[
    dict[TypeName, Limits],
    Field(max_length=1000, json_schema_extra={"additionalProperties": False}),
]
"""Per request type, windows counted for that type on top of the profile's `limits`."""
Priority = Annotated[int, Field(ge=0, le=HIGHEST_PRIORITY)]
"""A profile's `max_priority`: the highest priority its users may submit."""


class _NoNulls(Schema):
    @model_validator(mode="after")
    def _no_null_for_required(self) -> Any:
        nullable = {"max_results"}
        nulls = [n for n in self.model_fields_set if getattr(self, n) is None and n not in nullable]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return self


class RequestTypeCreate(Schema):
    name: TypeName
    title: Title
    description: Description = ""
    active: bool = True
    handler: HandlerName
    handler_settings: BoundedJson = Field(default_factory=dict)
    parameter_schema: BoundedJson = Field(default_factory=lambda: {"type": "object"})
    """JSON Schema of the parameters (an object), checked at definition time."""
    expected_answer_seconds: int = Field(default=60, ge=0, le=30 * 86_400)
    max_results: int | None = Field(default=None, ge=1, le=10_000)


class RequestTypeUpdate(_NoNulls):
    """Only the fields sent change; every real change bumps the type's version."""

    title: Title | None = None
    description: Description | None = None
    active: bool | None = None
    handler: HandlerName | None = None
    handler_settings: BoundedJson | None = None
    parameter_schema: BoundedJson | None = None
    expected_answer_seconds: int | None = Field(default=None, ge=0, le=30 * 86_400)
    max_results: int | None = Field(default=None, ge=1, le=10_000)


class RequestTypeRead(Schema):
    id: uuid.UUID
    name: str
    title: str
    description: str
    active: bool
    handler: str
    handler_settings: dict[str, Any]
    parameter_schema: dict[str, Any]
    expected_answer_seconds: int
    max_results: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class ProfileCreate(Schema):
    name: ProfileName
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    limits: Limits = Field(default_factory=dict)
    type_limits: TypeLimits = Field(default_factory=dict)
    allow_all: bool = False
    allowed_types: TypeList = Field(default_factory=list)
    blocked_types: TypeList = Field(default_factory=list)
    max_results: int = Field(default=100, ge=1, le=10_000)
    max_parameter_bytes: int = Field(default=16_384, ge=2, le=1_000_000)
    max_priority: Priority = DEFAULT_MAX_PRIORITY


class ProfileUpdate(_NoNulls):
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    limits: Limits | None = None
    type_limits: TypeLimits | None = None
    allow_all: bool | None = None
    allowed_types: TypeList | None = None
    blocked_types: TypeList | None = None
    max_results: int | None = Field(default=None, ge=1, le=10_000)
    max_parameter_bytes: int | None = Field(default=None, ge=2, le=1_000_000)
    max_priority: Priority | None = None


class ProfileRead(Schema):
    id: uuid.UUID
    name: str
    description: str
    limits: dict[str, WindowLimit]
    type_limits: dict[str, dict[str, WindowLimit]]
    allow_all: bool
    allowed_types: list[str]
    blocked_types: list[str]
    max_results: int
    max_parameter_bytes: int
    max_priority: int
    version: int
    created_at: datetime
    updated_at: datetime


class GrantCreate(Schema):
    request_type: TypeName
    limits: Limits | None = None
    """This user's own windows for the type, on top of the profile's; granting an active
    grant again with `limits` replaces them."""


class GrantRead(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    request_type: str
    limits: dict[str, WindowLimit]
    version: int
    created_at: datetime
    revoked_at: datetime | None


class TryRequest(Schema):
    parameters: BoundedJson = Field(default_factory=dict)


class TryAnswer(Schema):
    content_type: str
    body: Any
    query: Any = None
    """The query the handler sent, for handlers that have one (`search_template`: the body
    Elasticsearch rendered, or the resolved structured template)."""
