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
from request_network.catalog.cache import CatalogView, load_grants, load_profile
from request_network.catalog.models import Profile, RequestType
from request_network.users.models import User
from shared.access import check_access, profile_opens
from shared.parameters import check_parameters


async def user_profile(*, session: AsyncSession, user: User) -> Profile | None:
    """The user's profile as last synced (the newest row, should a name have been re-created)."""
    return await load_profile(session, user.profile)


async def submittable_types(*, session: AsyncSession, user: User) -> list[RequestType]:
    """Active types the user's profile opens (all or a list, minus blocked), plus grants."""
    profile = await user_profile(session=session, user=user)
    granted = (await load_grants(session, user.id)).types
    active = await session.scalars(
        select(RequestType)
        .where(RequestType.active.is_(True), RequestType.deleted_at.is_(None))
        .order_by(RequestType.name)
    )
    return [t for t in active.all() if t.name in granted or profile_opens(profile, t.name)]


async def admissible_type(
    *,
    catalog: CatalogView,
    user: User,
    request_type: str,
    parameters: Mapping[str, Any],
    profile: Profile | None,
    parameter_size: int | None = None,
) -> RequestType:
    """The type `request_type` names, if `user` may submit it with parameters of this size.

    `profile`: the user's (`catalog.profile(user.profile)`), which the caller reads once for
    every check. `parameter_size`: `parameter_bytes(parameters)`, if the caller measured it.

    `Invalid` (`invalid.request_type`): no such type, deleted or inactive; `Forbidden`
    (`forbidden.request_type`): the profile and grants do not open it; `Invalid`
    (`invalid.parameters_size`): larger than the profile allows. The schema is not checked.
    """
    item = await catalog.request_type(request_type)
    if item is None:
        raise Invalid(f"no request type {request_type!r}", code="invalid.request_type")
    if item.deleted_at is not None:
        raise Invalid(f"the request type {request_type!r} was deleted", code="invalid.request_type")
    if not item.active:
        raise Invalid(
            f"the request type {request_type!r} is not active", code="invalid.request_type"
        )
    granted = (await catalog.grants(user.id)).types
    check_access(
        profile=profile,
        granted=granted,
        request_type=request_type,
        parameters=parameters,
        size=parameter_size,
    )
    return item


async def check_submission(
    *, session: AsyncSession, user: User, request_type: str, parameters: Mapping[str, Any]
) -> RequestType:
    """`admissible_type`, then the parameters against its schema (`invalid.parameters`)."""
    catalog = CatalogView(session, {})  # read as it stands: nothing kept between calls
    item = await admissible_type(
        catalog=catalog,
        user=user,
        request_type=request_type,
        parameters=parameters,
        profile=await catalog.profile(user.profile),
    )
    check_parameters(item.parameter_schema, parameters)
    return item
