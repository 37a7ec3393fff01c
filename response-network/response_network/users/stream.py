"""The `users` stream, master side: users and their API keys as versioned records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from response_network.api_keys.models import ApiKey
from response_network.users.models import Role, User
from shared.streams import USERS_STREAM, OutboundStream, load_changed


def crossing_password_hash(user: User) -> str | None:
    """The hash the replica may hold: a user's always (it is how they log in there); an admin's
    or operator's only when `request_network_login` is on, so a copy taken from the exposed
    network cannot be cracked offline and replayed here. None clears the replica's copy."""
    if user.role == Role.USER or user.request_network_login:
        return user.password_hash
    return None


def _user_record(user: User) -> dict[str, Any]:
    return {
        "kind": "user",
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": str(user.role),
        "active": user.active,
        "password_hash": crossing_password_hash(user),
        "profile": user.profile,
        "limit_overrides": user.limit_overrides,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _key_record(key: ApiKey) -> dict[str, Any]:
    return {
        "kind": "api_key",
        "id": key.id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "secret_hash": key.secret_hash,
        "scopes": key.scopes,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "version": key.version,
    }


async def load_user_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """Current state of the changed users and keys, users first so a key's owner precedes it."""
    return await load_changed(
        session, refs, (("user", User, _user_record), ("api_key", ApiKey, _key_record))
    )


USERS_OUT = OutboundStream(USERS_STREAM, load_user_records, models=(User, ApiKey))
