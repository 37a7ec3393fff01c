"""The request network's copy of users, written by the `users` stream import, and the one
change made here: a user's own new password (`PasswordChange`, sent to the master)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from request_network.db import Base
from request_network.transfer.models import ChangeLog
from shared.changes import Tracked
from shared.principals import Role
from shared.streams import REQUESTS_STREAM

__all__ = ["PasswordChange", "Role", "User"]


class User(Base):
    """Columns as the master's, values as the last imported version; no defaults on purpose:
    every row comes whole from a `users` batch."""

    __tablename__ = "user"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(
        # The column stays a VARCHAR(16) (as the migration made it); the type reads it as a Role.
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(Boolean)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    profile: Mapped[str] = mapped_column(String(64), default="default")
    limit_overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The master's, or a change made here and not yet echoed back (see `PasswordChange`)."""
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PasswordChange(Base):
    """A user's own password change made here, queued for the master on the `requests`
    stream. Kept until the master's `users` record shows this change or a later one (or a
    refusal); meanwhile a users import does not roll the replica back (`users/stream.py`)."""

    __tablename__ = "password_change"
    # It travels upstream with the user's requests: the only way anything goes to the master.
    __tracked__ = Tracked(REQUESTS_STREAM, "password_change", ChangeLog)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
