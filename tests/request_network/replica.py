"""Rows of the request network's replica, written directly as the `users` import would.

Tests use these until a batch carries them; the import itself is the transfer's to test.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.db import utcnow
from core.runtime import Runtime
from core.security import generate_api_key
from request_network.api_keys.models import ApiKey
from request_network.users.models import User


async def insert_user(
    runtime: Runtime[Any],
    username: str,
    *,
    password_hash: str | None,
    role: str = "user",
    active: bool = True,
) -> User:
    now = utcnow()
    user = User(
        id=uuid.uuid4(),
        username=username,
        email=f"{username}@example.org",
        display_name="",
        role=role,
        active=active,
        password_hash=password_hash,
        profile="default",
        limit_overrides=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with runtime.unit_of_work() as uow:
        uow.session.add(user)
    return user


async def insert_api_key(
    runtime: Runtime[Any], user: User, *, revoked: bool = False, scopes: list[str] | None = None
) -> str:
    """A replica key row for `user`; returns the secret its hash stands for."""
    secret, prefix, digest = generate_api_key()
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            ApiKey(
                id=uuid.uuid4(),
                user_id=user.id,
                name="replicated",
                prefix=prefix,
                secret_hash=digest,
                scopes=scopes,
                created_at=utcnow(),
                revoked_at=utcnow() if revoked else None,
                version=2 if revoked else 1,
            )
        )
    return secret
