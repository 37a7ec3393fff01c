"""Record schemas of the streams: the contract between the networks, validated on import.

Unknown fields are errors (`extra="forbid"`), strings are bounded, and every record carries
the `version` the versioned upsert compares.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

SCHEMA_VERSION = 1


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)


class UserRecord(Record):
    kind: Literal["user"] = "user"
    id: uuid.UUID
    username: str = Field(min_length=1, max_length=64)
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)
    role: Literal["admin", "operator", "user"]
    active: bool
    password_hash: str | None = Field(max_length=255)
    profile: str = Field(max_length=64)
    limit_overrides: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class ApiKeyRecord(Record):
    kind: Literal["api_key"] = "api_key"
    id: uuid.UUID
    user_id: uuid.UUID
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=32)
    secret_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=50)
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class UsersStreamRecord(
    RootModel[Annotated[UserRecord | ApiKeyRecord, Field(discriminator="kind")]]
):
    """One line of the `users` stream: a user or one of its API keys."""
