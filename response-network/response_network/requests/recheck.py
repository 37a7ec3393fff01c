"""Before answering, the master checks again what the request network let through.

An imported request is a claim by the exposed side, which may be compromised or simply out of
date: its owner must be a user here and active, the type must exist and be active, the
owner's profile or grants must open it (the rule of `shared.access`, the same the request
network applies at submission), its priority must be within the profile's `max_priority`,
and its parameters must fit the type's schema, all against the master's own users and
catalog as they are now. A request that fails is failed with the reason, never answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AirlockError, Forbidden, Invalid
from response_network.catalog.models import Grant, Profile, RequestType
from response_network.catalog.service import runnable_request_type
from response_network.requests.models import Request
from response_network.users.models import User
from shared.access import check_access, check_priority
from shared.parameters import check_parameters
from shared.streams import IN_CHUNK

CANNOT_ANSWER = "this request can no longer be answered"


@dataclass(frozen=True)
class Owner:
    """What the master knows now of the user a request names."""

    active: bool
    limit_overrides: dict[str, Any] | None
    profile: Profile | None
    granted: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Refusal:
    """Why a request is failed instead of answered; `reason` is for the user to read."""

    check: str
    """owner, type, access, priority, parameters, handler, attempts or error."""
    reason: str


async def load_owners(
    session: AsyncSession, owner_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Owner]:
    """The named users that exist, with their profile and live grants (a few queries per
    `IN_CHUNK` owners, whatever the number of requests)."""
    ids = list(owner_ids)
    rows: list[Any] = []
    granted: dict[uuid.UUID, set[str]] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        rows.extend(
            await session.execute(
                select(User.id, User.active, User.limit_overrides, Profile)
                .outerjoin(Profile, Profile.name == User.profile)
                .where(User.id.in_(chunk))
            )
        )
        grants = await session.execute(
            select(Grant.user_id, Grant.request_type).where(
                Grant.user_id.in_(chunk), Grant.revoked_at.is_(None)
            )
        )
        for user_id, name in grants:
            granted.setdefault(user_id, set()).add(name)
    return {
        row[0]: Owner(
            active=row[1],
            limit_overrides=row[2],
            profile=row[3],
            granted=frozenset(granted.get(row[0], ())),
        )
        for row in rows
    }


async def load_types(
    session: AsyncSession, names: Collection[str]
) -> dict[str, RequestType | Invalid]:
    """Each named type, or the `Invalid` saying why it cannot run (unknown, deleted, inactive)."""
    found: dict[str, RequestType | Invalid] = {}
    for name in names:
        try:
            found[name] = await runnable_request_type(session=session, name=name)
        except Invalid as exc:
            found[name] = exc
    return found


def recheck(
    *,
    owner: Owner | None,
    item: RequestType | Invalid | None,
    request_type: str,
    priority: int,
    parameters: Mapping[str, Any],
) -> Refusal | None:
    """None if the request may be answered, else the first check it fails."""
    if owner is None:
        return Refusal("owner", f"{CANNOT_ANSWER}: it names no known user")
    if not owner.active:
        return Refusal("owner", f"{CANNOT_ANSWER}: the account that submitted it is not active")
    if item is None or isinstance(item, Invalid):
        detail = item.detail if item is not None else f"no request type {request_type!r}"
        return Refusal("type", f"{CANNOT_ANSWER}: {detail}")
    try:
        check_access(
            profile=owner.profile,
            granted=owner.granted,
            request_type=request_type,
            parameters=parameters,
        )
    except AirlockError as exc:
        return Refusal("access", f"{CANNOT_ANSWER}: {exc.detail}")
    try:
        check_priority(
            profile=owner.profile, limit_overrides=owner.limit_overrides, priority=priority
        )
    except AirlockError as exc:
        return Refusal("priority", f"{CANNOT_ANSWER}: {exc.detail}")
    try:
        check_parameters(item.parameter_schema, parameters)
    except Invalid as exc:
        return Refusal(
            "parameters",
            f"the parameters no longer fit the request type {item.name!r}: {exc.detail}",
        )
    return None


async def recheck_request(*, session: AsyncSession, request: Request) -> Refusal | None:
    """`recheck` for one request an operator acts on (a claim, an answer)."""
    owners = await load_owners(session, [request.owner_id])
    types = await load_types(session, [request.request_type])
    return recheck(
        owner=owners.get(request.owner_id),
        item=types.get(request.request_type),
        request_type=request.request_type,
        priority=request.priority,
        parameters=request.parameters,
    )


def refuse_operator(refusal: Refusal) -> Forbidden:
    """What an operator is told when a request fails its re-check: nobody may answer it; an
    admin may fail or reject it (`POST /requests/{id}/response`) without a claim."""
    return Forbidden(
        f"{refusal.reason}; fail or reject it instead",
        code="forbidden.recheck",
        extra={"check": refusal.check},
    )
