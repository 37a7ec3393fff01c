"""What the admin API reads and writes about the catalog. Every string and list is bounded."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from core.inputs import JSON_INTEGER, JsonBool
from response_network.catalog.seed import DEMO_SEARCH
from response_network.schemas import NOT_BLANK, Schema
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
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
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
Priority = Annotated[int, Field(ge=0, le=HIGHEST_PRIORITY), JSON_INTEGER]
"""A profile's `max_priority`: the highest priority its users may submit."""
AnswerSeconds = Annotated[int, Field(ge=0, le=30 * 86_400), JSON_INTEGER]
MaxResults = Annotated[int, Field(ge=1, le=10_000), JSON_INTEGER]
ParameterBytes = Annotated[int, Field(ge=2, le=1_000_000), JSON_INTEGER]

# The examples describe one catalog: the demo `equipment_search` type (as `seed --demo`
# defines it), an operator-answered type and an `analysts` profile.
_TYPE: dict[str, Any] = {**DEMO_SEARCH, "active": True, "max_results": None}
_MANUAL_TYPE: dict[str, Any] = {
    "name": "calibration_certificate",
    "title": "Calibration certificate",
    "description": "An operator looks up the current calibration certificate of an asset.",
    "handler": "manual",
    "parameter_schema": {
        "type": "object",
        "properties": {"asset_id": {"type": "string", "pattern": "^eq-[0-9]{4}$"}},
        "required": ["asset_id"],
        "additionalProperties": False,
    },
    "expected_answer_seconds": 14400,
}
_LIMITS: dict[str, Any] = {
    "minute": {"soft": 20, "hard": 30},
    "day": {"soft": 1500, "hard": 2000},
}
_TYPE_LIMITS: dict[str, Any] = {"equipment_search": {"hour": {"soft": 200, "hard": 300}}}
_PROFILE: dict[str, Any] = {
    "name": "analysts",
    "description": "The analysis team: every type but the SQL ones, everyday limits.",
    "limits": _LIMITS,
    "type_limits": _TYPE_LIMITS,
    "allow_all": True,
    "allowed_types": [],
    "blocked_types": ["part-lookup"],
    "max_results": 500,
    "max_parameter_bytes": 32768,
    "max_priority": 7,
}
_GRANT: dict[str, Any] = {
    "request_type": "equipment_search",
    "limits": {"day": {"soft": 100, "hard": 150}},
}


class _NoNulls(Schema):
    @model_validator(mode="after")
    def _no_null_for_required(self) -> Any:
        nullable = {"max_results"}
        nulls = [n for n in self.model_fields_set if getattr(self, n) is None and n not in nullable]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return self


class RequestTypeCreate(Schema):
    # An operator-answered type: every field but the required ones may be left out of it
    # (a `search` type needs its settings), as the examples of `_TYPE` could not.
    model_config = ConfigDict(json_schema_extra={"examples": [_MANUAL_TYPE]})

    name: TypeName
    title: Title
    description: Description = ""
    active: JsonBool = True
    handler: HandlerName
    handler_settings: BoundedJson = Field(default_factory=dict)
    parameter_schema: BoundedJson = Field(default_factory=lambda: {"type": "object"})
    """JSON Schema of the parameters (an object), checked at definition time."""
    expected_answer_seconds: AnswerSeconds = 60
    max_results: MaxResults | None = None


class RequestTypeUpdate(_NoNulls):
    """Only the fields sent change; every real change bumps the type's version."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Search the equipment register", "expected_answer_seconds": 20}]
        }
    )

    title: Title | None = None
    description: Description | None = None
    active: JsonBool | None = None
    handler: HandlerName | None = None
    handler_settings: BoundedJson | None = None
    parameter_schema: BoundedJson | None = None
    expected_answer_seconds: AnswerSeconds | None = None
    max_results: MaxResults | None = None


class RequestTypeRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_TYPE,
                    "id": "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928",
                    "version": 2,
                    "created_at": "2026-11-25T14:00:00Z",
                    "updated_at": "2026-12-02T16:40:00Z",
                    "deleted_at": None,
                }
            ]
        }
    )

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
    model_config = ConfigDict(json_schema_extra={"examples": [_PROFILE]})

    name: ProfileName
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    limits: Limits = Field(default_factory=dict)
    type_limits: TypeLimits = Field(default_factory=dict)
    allow_all: JsonBool = False
    allowed_types: TypeList = Field(default_factory=list)
    blocked_types: TypeList = Field(default_factory=list)
    max_results: MaxResults = 100
    max_parameter_bytes: ParameterBytes = 16_384
    max_priority: Priority = DEFAULT_MAX_PRIORITY


class ProfileUpdate(_NoNulls):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"limits": _LIMITS, "max_priority": 7}]}
    )

    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    limits: Limits | None = None
    type_limits: TypeLimits | None = None
    allow_all: JsonBool | None = None
    allowed_types: TypeList | None = None
    blocked_types: TypeList | None = None
    max_results: MaxResults | None = None
    max_parameter_bytes: ParameterBytes | None = None
    max_priority: Priority | None = None


class ProfileRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_PROFILE,
                    "id": "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182",
                    "version": 4,
                    "created_at": "2026-11-25T14:05:00Z",
                    "updated_at": "2026-12-03T11:30:00Z",
                }
            ]
        }
    )

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
    model_config = ConfigDict(json_schema_extra={"examples": [_GRANT]})

    request_type: TypeName
    limits: Limits | None = None
    """This user's own windows for the type, on top of the profile's; granting an active
    grant again with `limits` replaces them."""


class GrantRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_GRANT,
                    "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                    "user_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "version": 1,
                    "created_at": "2026-12-02T09:00:00Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    id: uuid.UUID
    user_id: uuid.UUID
    request_type: str
    limits: dict[str, WindowLimit]
    version: int
    created_at: datetime
    revoked_at: datetime | None


class TryRequest(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parameters": {
                        "q": "Northwind peristaltic",
                        "site": "north-depot",
                        "status": "maintenance",
                    }
                }
            ]
        }
    )

    parameters: BoundedJson = Field(default_factory=dict)


class TryAnswer(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content_type": "application/json",
                    "body": {
                        "total": 1,
                        "hits": [
                            {
                                "id": "eq-0123",
                                "score": 10.41,
                                "source": {
                                    "id": "eq-0123",
                                    "title": "Northwind Works peristaltic pump NOR-9461",
                                    "summary": (
                                        "A rugged, heavy-duty peristaltic pump built by"
                                        " Northwind Works in 2017, used for cooling water for"
                                        " the main plant. Kept at north depot; last"
                                        " inspected 2022."
                                    ),
                                    "category": "pump",
                                    "site": "north-depot",
                                    "status": "maintenance",
                                    "year": 2017,
                                    "weight_kg": 1886.1,
                                    "maker": "Northwind Works",
                                },
                            }
                        ],
                    },
                    "query": None,
                }
            ]
        }
    )

    content_type: str
    body: Any
    query: Any = None
    """The query the handler sent, for handlers that have one (`search_template`: the body
    Elasticsearch rendered, or the resolved structured template)."""
