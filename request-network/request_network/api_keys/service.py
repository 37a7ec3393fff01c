"""Reading the replica's API keys: a user sees their own keys here, read-only (they are
created and revoked on the response network, and arrive by the `users` stream)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from request_network.api_keys.models import ApiKey


async def list_api_keys(*, session: AsyncSession, owner_id: uuid.UUID) -> list[ApiKey]:
    """The owner's keys as last replicated, revoked ones included, oldest first (the
    master's `GET /users/me/api-keys` order); `last_used_at` is this network's own."""
    statement = select(ApiKey).where(ApiKey.user_id == owner_id).order_by(ApiKey.created_at)
    return list((await session.scalars(statement)).all())
