"""Request types, profiles and grants: every change bumps `version` (the catalog stream)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, new_id, utcnow
from response_network.db import Base
from response_network.transfer.models import ChangeLog
from shared.access import DEFAULT_MAX_PRIORITY
from shared.changes import Tracked
from shared.streams import CATALOG_STREAM


class RequestType(Base):
    """What users may ask (`name` is the `request_type` they submit) and the handler that answers.

    Deleting is soft (`deleted_at`): the name stays taken, so requests in flight can still
    name the type they were submitted against and fail with a clear reason.
    """

    __tablename__ = "request_type"
    __tracked__ = Tracked(CATALOG_STREAM, "request_type", ChangeLog)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    handler: Mapped[str] = mapped_column(String(64))
    handler_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parameter_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    expected_answer_seconds: Mapped[int] = mapped_column(Integer, default=60)
    max_results: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Profile(Base):
    """Named limits and the request types they open; users name theirs in `user.profile`.

    `limits` maps a window (`minute`, `hour`, `day`, `month`) to `{"soft": n, "hard": m}`;
    `type_limits` maps a request type to such windows, counted for that type on top.
    The rule reading `allow_all`, the lists and `max_priority` is `shared.access`, applied at
    submission on the request network and again here before an answer is planned.
    """

    __tablename__ = "profile"
    __tracked__ = Tracked(CATALOG_STREAM, "profile", ChangeLog)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    type_limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    allow_all: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocked_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_results: Mapped[int] = mapped_column(Integer, default=100)
    max_parameter_bytes: Mapped[int] = mapped_column(Integer, default=16_384)
    max_priority: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_PRIORITY)
    """The highest request priority (0-9) its users may submit; see `shared.access`."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Grant(Base):
    """One request type a user may submit beyond their profile; revoking keeps the row."""

    __tablename__ = "type_grant"
    __tracked__ = Tracked(CATALOG_STREAM, "grant", ChangeLog)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    request_type: Mapped[str] = mapped_column(String(64))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Windows of this type for this user, on top of the profile's (the tighter applies)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
