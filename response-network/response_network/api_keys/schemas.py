"""API keys as the API shows them; the secret appears once, in `ApiKeyCreated`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from response_network.api_keys.models import ApiKey
from response_network.schemas import Schema
from shared.scopes import Scope


class ApiKeyCreate(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))] | None = None
    """What the key may do (an unknown name: 422); left out, everything its owner's role may."""
    expires_at: AwareDatetime | None = None
    """Must be in the future; no value: the key lives until revoked."""


class ApiKeyRead(Schema):
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
    secret: str
    """The key itself. Shown in this answer only: store it now, it cannot be read again."""

    @classmethod
    def of(cls, key: ApiKey, secret: str) -> ApiKeyCreated:
        return cls.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "secret": secret})
