"""The request network's read-only copy of users; only the `users` stream import writes it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from request_network.db import Base


class Role(enum.StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    USER = "user"

    def at_least(self, minimum: Role) -> bool:
        return _RANK[self] >= _RANK[minimum]


_RANK = {Role.USER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class User(Base):
    """Columns as the master's, values as the last imported version; no defaults on purpose:
    every row comes whole from a `users` batch."""

    __tablename__ = "user"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    profile: Mapped[str] = mapped_column(String(64), default="default")
    limit_overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def role_level(self) -> Role:
        return Role(self.role)
