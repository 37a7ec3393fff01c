"""What the request network's API shows of a (replicated) user."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from request_network.schemas import Schema
from request_network.users.models import Role

_ALICE: dict[str, Any] = {
    "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "username": "alice",
    "email": "alice@example.org",
    "display_name": "Alice Martin",
    "role": "user",
    "active": True,
    "profile": "analysts",
    "limit_overrides": None,
    "password_changed_at": None,
    "version": 3,
    "created_at": "2026-11-02T08:00:00Z",
    "updated_at": "2026-12-01T10:15:00Z",
}


class UserRead(Schema):
    """The synced fields an API may show; never the password hash."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ALICE]})

    id: uuid.UUID
    username: str
    email: str
    display_name: str
    role: Role
    active: bool
    profile: str
    limit_overrides: dict[str, Any] | None
    password_changed_at: datetime | None
    version: int
    """The master's version this replica holds."""
    created_at: datetime
    updated_at: datetime


class UserPage(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ALICE], "next_cursor": None}]}
    )

    items: list[UserRead]
    next_cursor: str | None
    """Pass it back as `cursor` for the next page; null on the last page."""
