"""The master's state of each request and its latest answer, as the request network sees it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from response_network.db import Base
from response_network.transfer.models import ChangeLog
from shared.changes import Tracked
from shared.streams import RESPONSES_STREAM


class Response(Base):
    """The master's state of one request and its latest answer: the `responses` stream's
    record. `id` is the request's id; every change bumps `version` (change tracking)."""

    __tablename__ = "response"
    __tracked__ = Tracked(RESPONSES_STREAM, "response", ChangeLog)

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("request.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000))
    body: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    """JSON, or a string when `content_type` is a text type; null before an answer."""
    content_type: Mapped[str | None] = mapped_column(String(100))
    answer_number: Mapped[int] = mapped_column(Integer, default=0)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)
