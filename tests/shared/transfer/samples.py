"""The tests' stream: a record schema and well-formed records for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

SOURCE = "request"
STREAM = "questions"


class Question(BaseModel):
    """The record schema of the tests' stream: strict about unknown fields, as real ones are."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    version: int
    title: str
    asked_at: datetime


def questions(count: int) -> Iterator[dict[str, Any]]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(count):
        yield {
            "id": str(uuid.UUID(int=number + 1)),
            "version": number % 3 + 1,
            "title": f"Question number {number} \u00e9\u4e2d",
            "asked_at": (start + timedelta(minutes=number)).isoformat(),
        }
