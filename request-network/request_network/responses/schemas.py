"""What the API shows of an answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from request_network.requests.models import RequestStatus
from request_network.schemas import Schema


class ResponseRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": "3f2c6d1e-8b4a-4c5e-9d7f-2a1b0c9e8d7f",
                    "status": "delivered",
                    "answer_number": 1,
                    "content_type": "application/json",
                    "body": {
                        "hits": [{"id": "P-104", "source": {"name": "pump 4", "site": "north"}}]
                    },
                    "reason": None,
                    "answered_at": "2026-12-04T09:30:04Z",
                    "answered_by": "handler:search",
                }
            ]
        }
    )

    request_id: uuid.UUID
    status: RequestStatus
    """`answered` (`delivered` once its owner read it), `failed` or `rejected`."""
    answer_number: int
    """1 for the first answer; a re-answer counts up."""
    content_type: str | None
    body: Any
    """The answer: JSON, or a string for a text `content_type`."""
    reason: str | None
    """Why the request failed or was rejected."""
    answered_at: datetime | None
    answered_by: str | None
    """`handler:<name>` for an automated answer, else the operator's username."""


class CacheStatsRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hits": 1520,
                    "misses": 310,
                    "hit_ratio": 0.83,
                    "keys": 290,
                    "memory_bytes": 1843200,
                }
            ]
        }
    )

    hits: int
    misses: int
    hit_ratio: float
    """hits / (hits + misses); 0 before any read."""
    keys: int
    """Answers cached now."""
    memory_bytes: int | None
    """Memory the cache server uses (Redis); null where the backend cannot tell."""


class CacheClearRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"deleted": 12}]})

    deleted: int
    """Cached answers dropped."""
