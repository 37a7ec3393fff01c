"""What the request network's API shows of a (replicated) user."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from request_network.schemas import Schema
from request_network.users.models import Role


class UserRead(Schema):
    """The synced fields an API may show; never the password hash."""

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
    items: list[UserRead]
    next_cursor: str | None
    """Pass it back as `cursor` for the next page; null on the last page."""
