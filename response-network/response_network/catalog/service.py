"""The catalog on the master side: request types, profiles and grants.

Every change is audited in the same transaction; versions are bumped and the change logged for
the `catalog` stream by the change tracking (`shared.changes`), so no function here forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import utcnow
from core.errors import Conflict, Invalid, NotFound
from response_network.audit.models import AuditEvent
from response_network.catalog.models import Grant, Profile, RequestType
from response_network.catalog.schemas import (
    ProfileCreate,
    ProfileUpdate,
    RequestTypeCreate,
    RequestTypeUpdate,
)
from response_network.handlers import (
    HandlerAnswer,
    HandlerLimits,
    HandlerRegistry,
    render_handler_query,
    run_handler,
)
from response_network.settings import ResponseSettings
from response_network.users.models import User
from shared.parameters import check_parameter_schema, check_parameters
from shared.records import Window, WindowLimit

DEFAULT_MAX_RESULTS = 100
DEFINITION_FIELDS = frozenset({"handler", "handler_settings", "parameter_schema"})
"""What `check_definition` depends on: a change to a title alone does not ask a search
cluster to render the type's template again."""


@dataclass(frozen=True)
class TriedType:
    answer: HandlerAnswer
    query: Any
    """What the handler sent (`Handler.render`), None for handlers without a query."""


def _audit(
    session: AsyncSession, actor: Actor, action: str, kind: str, obj: Any, **details: Any
) -> None:
    name = getattr(obj, "name", None)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action=action,
        object_type=kind,
        object_id=obj.id,
        details={"name": name, **details} if name else details,
    )


async def _flush(session: AsyncSession, what: str, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a {what} named {name!r} exists", code=f"conflict.{what}") from exc


async def check_definition(
    *, handlers: HandlerRegistry, handler: str, settings: dict[str, Any], schema: dict[str, Any]
) -> None:
    """What `create`/`update` refuse with 422: bad or unsafe JSON Schema (non-local `$ref`,
    cycles, backtracking patterns: `shared.parameters`), unknown handler, bad settings (a
    search template naming a parameter the schema lacks). Runs before anything changes."""
    check_parameter_schema(schema)
    await handlers.get(handler).check_definition(settings=settings, parameter_schema=schema)


# Request types ---------------------------------------------------------------------------


async def get_request_type(
    *, session: AsyncSession, name: str, include_deleted: bool = False
) -> RequestType:
    item = await session.scalar(select(RequestType).where(RequestType.name == name))
    if item is None or (item.deleted_at is not None and not include_deleted):
        raise NotFound(f"no request type {name!r}", code="not_found.request_type")
    return item


async def list_request_types(
    *, session: AsyncSession, include_deleted: bool = False
) -> list[RequestType]:
    statement = select(RequestType).order_by(RequestType.name)
    if not include_deleted:
        statement = statement.where(RequestType.deleted_at.is_(None))
    return list((await session.scalars(statement)).all())


async def create_request_type(
    *, session: AsyncSession, handlers: HandlerRegistry, data: RequestTypeCreate, actor: Actor
) -> RequestType:
    await check_definition(
        handlers=handlers,
        handler=data.handler,
        settings=data.handler_settings,
        schema=data.parameter_schema,
    )
    taken = await session.scalar(select(RequestType.id).where(RequestType.name == data.name))
    if taken is not None:
        raise Conflict(
            f"the request type name {data.name!r} is taken (deleted names stay taken)",
            code="conflict.request_type",
        )
    item = RequestType(**data.model_dump())
    session.add(item)
    await _flush(session, "request_type", data.name)
    _audit(session, actor, "request_type.create", "request_type", item, handler=item.handler)
    return item


async def update_request_type(
    *,
    session: AsyncSession,
    handlers: HandlerRegistry,
    item: RequestType,
    data: RequestTypeUpdate,
    actor: Actor,
) -> RequestType:
    """Apply the fields sent; an update that changes nothing writes nothing (no new version)."""
    wanted = {
        name: getattr(data, name)
        for name in data.model_fields_set
        if getattr(item, name) != getattr(data, name)
    }
    if not wanted:
        return item
    if wanted.keys() & DEFINITION_FIELDS:
        await check_definition(
            handlers=handlers,
            handler=wanted.get("handler", item.handler),
            settings=wanted.get("handler_settings", item.handler_settings),
            schema=wanted.get("parameter_schema", item.parameter_schema),
        )
    for name, value in wanted.items():
        setattr(item, name, value)
    await session.flush()
    _audit(session, actor, "request_type.update", "request_type", item, fields=sorted(wanted))
    return item


async def delete_request_type(*, session: AsyncSession, item: RequestType, actor: Actor) -> None:
    """Soft delete: the name stays taken; requests naming it fail with a clear reason."""
    if item.deleted_at is not None:
        return
    item.deleted_at = utcnow()
    item.active = False
    await session.flush()
    _audit(session, actor, "request_type.delete", "request_type", item)


async def runnable_request_type(*, session: AsyncSession, name: str) -> RequestType:
    """The type a request names, or `Invalid` saying why it cannot run (deleted, inactive)."""
    item = await session.scalar(select(RequestType).where(RequestType.name == name))
    if item is None:
        raise Invalid(f"no request type {name!r}", code="invalid.request_type")
    if item.deleted_at is not None:
        raise Invalid(
            f"the request type {name!r} was deleted at {item.deleted_at.isoformat()}",
            code="invalid.request_type",
        )
    if not item.active:
        raise Invalid(f"the request type {name!r} is not active", code="invalid.request_type")
    return item


def handler_limits(
    settings: ResponseSettings, item: RequestType, profile: Profile | None = None
) -> HandlerLimits:
    caps = [item.max_results or DEFAULT_MAX_RESULTS]
    if profile is not None:
        caps.append(profile.max_results)
    return HandlerLimits(
        max_results=min(caps),
        timeout_seconds=settings.handler_timeout_seconds,
        max_answer_bytes=settings.handler_max_answer_bytes,
    )


async def try_request_type(
    *,
    handlers: HandlerRegistry,
    settings: ResponseSettings,
    item: RequestType,
    parameters: dict[str, Any],
) -> TriedType:
    """A dry run: check the parameters, run the handler, return its answer and the query it
    sent (search templates: as rendered); nothing is stored."""
    check_parameters(item.parameter_schema, parameters)
    handler = handlers.get(item.handler)
    limits = handler_limits(settings, item)
    answer = await run_handler(
        handler=handler, parameters=parameters, settings=item.handler_settings, limits=limits
    )
    query = await render_handler_query(
        handler=handler, parameters=parameters, settings=item.handler_settings, limits=limits
    )
    return TriedType(answer=answer, query=query)


# Profiles ------------------------------------------------------------------------------------


async def get_profile(*, session: AsyncSession, name: str) -> Profile:
    item = await session.scalar(select(Profile).where(Profile.name == name))
    if item is None:
        raise NotFound(f"no profile {name!r}", code="not_found.profile")
    return item


async def list_profiles(*, session: AsyncSession) -> list[Profile]:
    return list((await session.scalars(select(Profile).order_by(Profile.name))).all())


def _limits(value: Any) -> dict[str, Any]:
    return {window: limit.model_dump() for window, limit in value.items()}


def _type_limits(value: Any) -> dict[str, Any]:
    return {name: _limits(windows) for name, windows in value.items()}


async def create_profile(*, session: AsyncSession, data: ProfileCreate, actor: Actor) -> Profile:
    if await session.scalar(select(Profile.id).where(Profile.name == data.name)) is not None:
        raise Conflict(f"the profile name {data.name!r} is taken", code="conflict.profile")
    fields = data.model_dump()
    fields["limits"] = _limits(data.limits)
    fields["type_limits"] = _type_limits(data.type_limits)
    item = Profile(**fields)
    session.add(item)
    await _flush(session, "profile", data.name)
    _audit(session, actor, "profile.create", "profile", item)
    return item


async def update_profile(
    *, session: AsyncSession, item: Profile, data: ProfileUpdate, actor: Actor
) -> Profile:
    wanted: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if name == "limits":
            value = _limits(value)
        elif name == "type_limits":
            value = _type_limits(value)
        if getattr(item, name) != value:
            wanted[name] = value
    if not wanted:
        return item
    for name, value in wanted.items():
        setattr(item, name, value)
    await session.flush()
    _audit(session, actor, "profile.update", "profile", item, fields=sorted(wanted))
    return item


async def delete_profile(*, session: AsyncSession, item: Profile, actor: Actor) -> None:
    """Refused while any user has the profile: they would be left with none."""
    users = await session.scalar(
        select(func.count()).select_from(User).where(User.profile == item.name)
    )
    if users:
        raise Conflict(
            f"{users} user(s) have the profile {item.name!r}; assign them another first",
            code="conflict.profile_in_use",
        )
    _audit(session, actor, "profile.delete", "profile", item)
    await session.delete(item)
    await session.flush()


# Grants --------------------------------------------------------------------------------------


async def list_grants(*, session: AsyncSession, user: User) -> list[Grant]:
    statement = select(Grant).where(Grant.user_id == user.id).order_by(Grant.created_at)
    return list((await session.scalars(statement)).all())


def _audit_grant(
    session: AsyncSession, actor: Actor, action: str, grant: Grant, **details: Any
) -> None:
    _audit(
        session,
        actor,
        action,
        "grant",
        grant,
        user_id=str(grant.user_id),
        request_type=grant.request_type,
        **details,
    )


async def grant_request_type(
    *,
    session: AsyncSession,
    user: User,
    name: str,
    actor: Actor,
    limits: dict[Window, WindowLimit] | None = None,
) -> Grant:
    """Let `user` submit `name` beyond their profile; granting twice returns the same grant.

    `limits` (None: leave as they are) are the user's own windows for the type, counted on
    top of the profile's; granting an active grant with other limits replaces them (audited).
    """
    await get_request_type(session=session, name=name)
    wanted = None if limits is None else _limits(limits)
    active = await session.scalar(
        select(Grant).where(
            Grant.user_id == user.id, Grant.request_type == name, Grant.revoked_at.is_(None)
        )
    )
    if active is not None:
        if wanted is not None and wanted != active.limits:
            active.limits = wanted
            await session.flush()
            _audit_grant(session, actor, "grant.update", active, limits=wanted)
        return active
    grant = Grant(user_id=user.id, request_type=name, limits=wanted or {})
    session.add(grant)
    await session.flush()
    _audit_grant(session, actor, "grant.create", grant, limits=grant.limits)
    return grant


async def revoke_grant(*, session: AsyncSession, user: User, name: str, actor: Actor) -> None:
    grants = (
        await session.scalars(
            select(Grant).where(
                Grant.user_id == user.id, Grant.request_type == name, Grant.revoked_at.is_(None)
            )
        )
    ).all()
    if not grants:
        raise NotFound(f"no active grant of {name!r} to this user", code="not_found.grant")
    for grant in grants:
        grant.revoked_at = utcnow()
        _audit_grant(session, actor, "grant.revoke", grant)
    await session.flush()
