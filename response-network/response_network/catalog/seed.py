"""What a new deployment starts with: four profiles and the `echo` type. Idempotent: only
what is missing is created, an admin's later changes are never overwritten."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from response_network.catalog.models import Profile, RequestType


def _limits(minute: int, hour: int, day: int, month: int) -> dict[str, dict[str, int]]:
    """Soft limits at 80 % of the hard ones."""
    return {
        window: {"soft": hard * 4 // 5, "hard": hard}
        for window, hard in (("minute", minute), ("hour", hour), ("day", day), ("month", month))
    }


PROFILES: tuple[dict[str, Any], ...] = (
    {
        "name": "default",
        "description": "What every new user gets: all types, modest limits.",
        "limits": _limits(10, 100, 500, 5_000),
        "allow_all": True,
        "max_results": 100,
        "max_parameter_bytes": 16_384,
        "max_priority": 5,
    },
    {
        "name": "basic",
        "description": "Smoke checks only: the echo type, low limits.",
        "limits": _limits(5, 50, 200, 2_000),
        "allow_all": False,
        "allowed_types": ["echo"],
        "max_results": 50,
        "max_parameter_bytes": 4_096,
        "max_priority": 5,
    },
    {
        "name": "standard",
        "description": "All types, everyday limits.",
        "limits": _limits(30, 500, 2_000, 30_000),
        "allow_all": True,
        "max_results": 500,
        "max_parameter_bytes": 32_768,
        "max_priority": 7,
    },
    {
        "name": "premium",
        "description": "All types, high limits and large result sets.",
        "limits": _limits(120, 3_000, 20_000, 300_000),
        "allow_all": True,
        "max_results": 5_000,
        "max_parameter_bytes": 131_072,
        "max_priority": 9,
    },
)

ECHO: dict[str, Any] = {
    "name": "echo",
    "title": "Echo",
    "description": "Returns the message it is given: a smoke check of the whole path.",
    "handler": "echo",
    "handler_settings": {},
    "parameter_schema": {
        "type": "object",
        "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 1000}},
        "required": ["message"],
        "additionalProperties": False,
    },
    "expected_answer_seconds": 60,
}


DEMO_SEARCH: dict[str, Any] = {
    "name": "equipment_search",
    "title": "Search the equipment register",
    "description": "Full-text search over the demo equipment register, with optional filters.",
    "handler": "search",
    "handler_settings": {
        "index": "equipment",
        "text_param": "q",
        "text_fields": ["title", "summary"],
        "filter_params": {"category": "category", "site": "site", "status": "status"},
        "sort": [{"field": "year", "direction": "desc"}],
        "max_results": 50,
    },
    "parameter_schema": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "minLength": 1, "maxLength": 200},
            "category": {"type": "string", "maxLength": 64},
            "site": {"type": "string", "maxLength": 64},
            "status": {"type": "string", "enum": ["in_service", "maintenance", "spare", "retired"]},
        },
        "required": ["q"],
        "additionalProperties": False,
    },
    "expected_answer_seconds": 30,
}


async def ensure_demo_types(*, session: AsyncSession) -> list[str]:
    """The request type over the demo index (`seed --demo`), where missing."""
    found = await session.scalar(
        select(RequestType.id).where(RequestType.name == DEMO_SEARCH["name"])
    )
    if found is not None:
        return []
    session.add(RequestType(**DEMO_SEARCH))
    await session.flush()
    return [f"request type {DEMO_SEARCH['name']}"]


async def ensure_catalog(*, session: AsyncSession) -> list[str]:
    """Create the seeded profiles and types that are missing; returns what it created."""
    created: list[str] = []
    existing = set((await session.scalars(select(Profile.name))).all())
    for fields in PROFILES:
        if fields["name"] not in existing:
            session.add(Profile(**fields))
            created.append(f"profile {fields['name']}")
    if await session.scalar(select(RequestType.id).where(RequestType.name == ECHO["name"])) is None:
        session.add(RequestType(**ECHO))
        created.append(f"request type {ECHO['name']}")
    await session.flush()
    return created
