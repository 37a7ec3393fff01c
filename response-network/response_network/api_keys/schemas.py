"""API keys as the API shows them; the secret appears once, in `ApiKeyCreated`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from core.inputs import DateTime
from response_network.api_keys.models import ApiKey
from response_network.schemas import NOT_BLANK, Schema
from shared.scopes import Scope

# Not a key this API ever issued: the secret is visibly a placeholder (`ak_example-...`).
_KEY: dict[str, Any] = {
    "id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
    "user_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "name": "nightly report",
    "prefix": "ak_example-",
    "scopes": ["requests:read", "requests:write"],
    "created_at": "2026-12-01T10:20:00Z",
    "last_used_at": "2026-12-04T02:00:07Z",
    "expires_at": "2027-06-30T00:00:00Z",
    "revoked_at": None,
}


class ApiKeyCreate(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "nightly report",
                    "scopes": ["requests:read", "requests:write"],
                    "expires_at": "2027-06-30T00:00:00Z",
                }
            ]
        }
    )

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK),
    ]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))] | None = None
    """What the key may do (an unknown name: 422); left out, everything its owner's role may."""
    expires_at: DateTime | None = None
    """Must be in the future; no value: the key lives until revoked."""


class ApiKeyRead(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY]})

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    """The first characters of the secret, to recognise a key without revealing it."""
    scopes: list[str] | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_KEY,
                    "last_used_at": None,
                    "secret": "ak_example-not-a-real-key-00000000000000000000",
                }
            ]
        }
    )

    secret: str
    """The key itself. Shown in this answer only: store it now, it cannot be read again."""

    @classmethod
    def of(cls, key: ApiKey, secret: str) -> ApiKeyCreated:
        return cls.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "secret": secret})
