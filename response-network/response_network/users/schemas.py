"""What the API reads and writes about users. Every string is bounded."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from core.inputs import JSON_INTEGER, JsonBool
from response_network.schemas import Schema
from response_network.users.models import Role


def _fold(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an email address")
    return value


Username = Annotated[
    str,
    BeforeValidator(_fold),
    StringConstraints(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"),
    # Pydantic leaves the pattern out of the schema behind a BeforeValidator; said here as
    # sent, before folding to lower case.
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 3,
            "maxLength": 64,
            "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        }
    ),
]
Email = Annotated[
    str, BeforeValidator(_fold), StringConstraints(max_length=254), AfterValidator(_email)
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ProfileName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]
Password = Annotated[str, StringConstraints(max_length=1024)]
"""Length and content rules are the password policy's (a 422 `invalid.password`)."""
LimitOverrides = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[int, Field(ge=0, le=1_000_000_000), JSON_INTEGER],
    ],
    Field(max_length=32),
]
"""Per-user overrides of the profile's limits, e.g. `{"per_day": 500}`."""

_ALICE: dict[str, Any] = {
    "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "username": "alice",
    "email": "alice@example.org",
    "display_name": "Alice Martin",
    "role": "user",
    "active": True,
    "profile": "analysts",
    "limit_overrides": {"per_day": 500},
    "request_network_login": False,
    "password_changed_at": None,
    "version": 3,
    "created_at": "2026-11-02T08:00:00Z",
    "updated_at": "2026-12-01T10:15:00Z",
    "last_login_at": "2026-12-04T09:12:41Z",
}


class UserCreate(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "alice",
                    "email": "alice@example.org",
                    "password": "a long passphrase of alice's",
                    "display_name": "Alice Martin",
                    "role": "user",
                }
            ]
        }
    )

    username: Username
    email: Email
    password: Password
    display_name: DisplayName = ""
    role: Role = Role.USER
    active: JsonBool = True
    profile: ProfileName = "default"
    limit_overrides: LimitOverrides | None = None
    request_network_login: JsonBool = False
    """Admins and operators: let their password hash cross so they can log in on the request
    network. Plain users always can; for them the flag changes nothing."""


class UserUpdate(Schema):
    """Only the fields sent change; `limit_overrides: null` clears the overrides."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"display_name": "Alice Martin-Roy", "limit_overrides": {"per_day": 500}}]
        }
    )

    email: Email | None = None
    display_name: DisplayName | None = None
    role: Role | None = None
    active: JsonBool | None = None
    profile: ProfileName | None = None
    limit_overrides: LimitOverrides | None = None
    request_network_login: JsonBool | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> UserUpdate:
        nulls = [
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name != "limit_overrides"
        ]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return self


class PasswordReset(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"password": "a temporary passphrase to change"}]}
    )

    password: Password


class UserRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_ALICE]})

    id: uuid.UUID
    username: str
    email: str
    display_name: str
    role: Role
    active: bool
    profile: str
    limit_overrides: dict[str, Any] | None
    request_network_login: bool
    password_changed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UserPage(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ALICE], "next_cursor": None}]}
    )

    items: list[UserRead]
    next_cursor: str | None
    """Pass it back as `cursor` for the next page; null on the last page."""
