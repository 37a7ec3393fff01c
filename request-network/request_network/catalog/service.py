"""What a user here may submit, checked locally against the synced catalog.

`check_submission` is the one gate the requests service calls before accepting a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from request_network.catalog.models import Grant, Profile, RequestType
from request_network.users.models import User
from shared.access import check_access, profile_opens
from shared.parameters import check_parameters


async def user_profile(*, session: AsyncSession, user: User) -> Profile | None:
    """The user's profile as last synced (the newest row, should a name have been re-created)."""
    return await session.scalar(
        select(Profile)
        .where(Profile.name == user.profile)
        .order_by(Profile.created_at.desc())
        .limit(1)
    )


async def _granted(session: AsyncSession, user: User) -> set[str]:
    rows = await session.scalars(
        select(Grant.request_type).where(Grant.user_id == user.id, Grant.revoked_at.is_(None))
    )
    return set(rows.all())


async def submittable_types(*, session: AsyncSession, user: User) -> list[RequestType]:
    """Active types the user's profile opens (all or a list, minus blocked), plus grants."""
    profile = await user_profile(session=session, user=user)
    granted = await _granted(session, user)
    active = await session.scalars(
        select(RequestType)
        .where(RequestType.active.is_(True), RequestType.deleted_at.is_(None))
        .order_by(RequestType.name)
    )
    return [t for t in active.all() if t.name in granted or profile_opens(profile, t.name)]


async def check_submission(
    *, session: AsyncSession, user: User, kind: str, parameters: Mapping[str, Any]
) -> RequestType:
    """The type `kind` names, if `user` may submit it with these parameters.

    `Invalid` (`invalid.kind`): no such type, deleted or inactive; `Forbidden`
    (`forbidden.kind`): the profile and grants do not open it; `Invalid`
    (`invalid.parameters_size`, `invalid.parameters`): too large, or not what its schema says.
    """
    found = (
        await session.scalars(
            select(RequestType).where(RequestType.name == kind).order_by(RequestType.created_at)
        )
    ).all()
    item = next((t for t in found if t.deleted_at is None), found[-1] if found else None)
    if item is None:
        raise Invalid(f"no request type {kind!r}", code="invalid.kind")
    if item.deleted_at is not None:
        raise Invalid(f"the request type {kind!r} was deleted", code="invalid.kind")
    if not item.active:
        raise Invalid(f"the request type {kind!r} is not active", code="invalid.kind")
    profile = await user_profile(session=session, user=user)
    granted = await _granted(session, user)
    check_access(profile=profile, granted=granted, kind=kind, parameters=parameters)
    check_parameters(item.parameter_schema, parameters)
    return item
