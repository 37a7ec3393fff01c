"""The master's answers to requests, as the `responses` stream delivers them.

One row per request (`id` is the request's id) with no foreign key on purpose: in odd
deliveries a response may arrive before its request, and shows once the request exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from request_network.db import Base


class Response(Base):
    """Columns as `ResponseRecord`; only the `responses` import writes them."""

    __tablename__ = "response"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000))
    body: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    """JSON, or a string for a text content type; null before an answer."""
    content_type: Mapped[str | None] = mapped_column(String(100))
    answer_number: Mapped[int] = mapped_column(Integer)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
