"""What a user here may submit, checked locally against the synced catalog.

`admissible_type` (request type, profile, grants, size: cheap) and then `check_parameters` (the
schema) are the gates a submission passes; the requests service counts the submission against
the user's rate limits between the two, so a refusal by the schema is not free.
`check_submission` runs both, for callers that do not count.
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


async def admissible_type(
    *,
    session: AsyncSession,
    user: User,
    request_type: str,
    parameters: Mapping[str, Any],
    profile: Profile | None,
) -> RequestType:
    """The type `request_type` names, if `user` may submit it with parameters of this size.

    `profile`: the user's (`user_profile`), which the caller reads once for every check.

    `Invalid` (`invalid.request_type`): no such type, deleted or inactive; `Forbidden`
    (`forbidden.request_type`): the profile and grants do not open it; `Invalid`
    (`invalid.parameters_size`): larger than the profile allows. The schema is not checked.
    """
    found = (
        await session.scalars(
            select(RequestType)
            .where(RequestType.name == request_type)
            .order_by(RequestType.created_at)
        )
    ).all()
    item = next((t for t in found if t.deleted_at is None), found[-1] if found else None)
    if item is None:
        raise Invalid(f"no request type {request_type!r}", code="invalid.request_type")
    if item.deleted_at is not None:
        raise Invalid(f"the request type {request_type!r} was deleted", code="invalid.request_type")
    if not item.active:
        raise Invalid(
            f"the request type {request_type!r} is not active", code="invalid.request_type"
        )
    granted = await _granted(session, user)
    check_access(profile=profile, granted=granted, request_type=request_type, parameters=parameters)
    return item


async def check_submission(
    *, session: AsyncSession, user: User, request_type: str, parameters: Mapping[str, Any]
) -> RequestType:
    """`admissible_type`, then the parameters against its schema (`invalid.parameters`)."""
    item = await admissible_type(
        session=session,
        user=user,
        request_type=request_type,
        parameters=parameters,
        profile=await user_profile(session=session, user=user),
    )
    check_parameters(item.parameter_schema, parameters)
    return item
