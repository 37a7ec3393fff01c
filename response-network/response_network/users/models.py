"""Users are created and changed here only; every change bumps `version` for the sync."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, new_id, utcnow
from response_network.db import Base
from response_network.transfer.models import ChangeLog
from shared.changes import Tracked
from shared.principals import Role
from shared.streams import USERS_STREAM

__all__ = ["Role", "User"]


class User(Base):
    """An account. `version` counts every change to it or to its API keys (the users stream
    exports by version); `last_login_at` is local bookkeeping, neither versioned nor exported.
    """

    __tablename__ = "user"
    __tracked__ = Tracked(USERS_STREAM, "user", ChangeLog, local_only=frozenset({"last_login_at"}))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    request_network_login: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether an admin's or operator's password hash crosses to the request network (so they
    can log in there with it); off, the users stream carries no hash for them. Users' hashes
    always cross: this is their way in."""
    profile: Mapped[str] = mapped_column(String(64), default="default")
    limit_overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The last password change (own, by an admin, or applied from the request network):
    every token issued before it is refused on both networks once synced."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
