"""API keys: a random secret shown once; only its SHA-256 is stored (and synced)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, new_id, utcnow
from response_network.db import Base
from response_network.transfer.models import ChangeLog
from shared.changes import Tracked
from shared.streams import USERS_STREAM


class ApiKey(Base):
    """`version` bumps on every change (revocation); `last_used_at` is local bookkeeping."""

    __tablename__ = "api_key"
    __tracked__ = Tracked(
        USERS_STREAM, "api_key", ChangeLog, local_only=frozenset({"last_used_at"})
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
