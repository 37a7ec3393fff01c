"""The request network's copy of the catalog; only the `catalog` stream import writes it.

Columns as the master's (minus the handler settings, which never leave it), no defaults and
no foreign keys on purpose: every row comes whole from a batch, in whatever order they arrive.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from request_network.db import Base


class RequestType(Base):
    __tablename__ = "request_type"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000))
    active: Mapped[bool] = mapped_column(Boolean)
    handler: Mapped[str] = mapped_column(String(64))
    parameter_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    expected_answer_seconds: Mapped[int] = mapped_column(Integer)
    max_results: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Profile(Base):
    __tablename__ = "profile"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(String(500))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    type_limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    allow_all: Mapped[bool] = mapped_column(Boolean)
    allowed_types: Mapped[list[str]] = mapped_column(JSON)
    blocked_types: Mapped[list[str]] = mapped_column(JSON)
    max_results: Mapped[int] = mapped_column(Integer)
    max_parameter_bytes: Mapped[int] = mapped_column(Integer)
    max_priority: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Grant(Base):
    __tablename__ = "type_grant"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    request_type: Mapped[str] = mapped_column(String(64))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
