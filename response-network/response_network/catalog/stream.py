"""The `catalog` stream, master side: request types, profiles and grants as versioned records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from response_network.catalog.models import Grant, Profile, RequestType
from shared.streams import CATALOG_STREAM, OutboundStream, RecordLoader, load_changed


def _type_record(item: RequestType) -> dict[str, Any]:
    return {
        "kind": "request_type",
        "id": item.id,
        "name": item.name,
        "title": item.title,
        "description": item.description,
        "active": item.active,
        "handler": item.handler,
        "parameter_schema": item.parameter_schema,
        "expected_answer_seconds": item.expected_answer_seconds,
        "max_results": item.max_results,
        "version": item.version,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "deleted_at": item.deleted_at,
    }


def _profile_record(item: Profile) -> dict[str, Any]:
    return {
        "kind": "profile",
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "limits": item.limits,
        "type_limits": item.type_limits,
        "allow_all": item.allow_all,
        "allowed_types": item.allowed_types,
        "blocked_types": item.blocked_types,
        "max_results": item.max_results,
        "max_parameter_bytes": item.max_parameter_bytes,
        "max_priority": item.max_priority,
        "version": item.version,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def _grant_record(item: Grant) -> dict[str, Any]:
    return {
        "kind": "grant",
        "id": item.id,
        "user_id": item.user_id,
        "request_type": item.request_type,
        "limits": item.limits,
        "version": item.version,
        "created_at": item.created_at,
        "revoked_at": item.revoked_at,
    }


_LOADERS: tuple[RecordLoader, ...] = (
    ("request_type", RequestType, _type_record),
    ("profile", Profile, _profile_record),
    ("grant", Grant, _grant_record),
)


async def load_catalog_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """Current state of the changed types, profiles and grants."""
    return await load_changed(session, refs, _LOADERS)


CATALOG_OUT = OutboundStream(
    CATALOG_STREAM, load_catalog_records, models=tuple(model for _, model, _ in _LOADERS)
)
