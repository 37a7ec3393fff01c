"""Profiles (admins): the list, a new profile, and one profile's limits per window, maximum
priority, per-type limits, allowed and blocked types; over the services behind
`/admin/profiles` (audited there), with the same admin check.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.db import UnitOfWork
from core.deps import UnitOfWorkDep
from core.errors import Conflict, Invalid
from response_network.catalog import service
from response_network.catalog.models import Profile
from response_network.catalog.schemas import ProfileCreate, ProfileUpdate, TypeName
from response_network.console.admin_forms import (
    BadJson,
    form_integer,
    json_field,
    name_list,
    pretty_json,
    window_limits,
)
from response_network.console.deps import ConsoleActor, ConsoleUser
from response_network.users.models import Role, User
from shared.access import HIGHEST_PRIORITY
from shared.platform.console.forms import GENERAL, validation_errors
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

ADMIN = Scope.ADMIN
NUMBERS = ("max_priority", "max_results", "max_parameter_bytes")


async def managed_profile(name: TypeName, uow: UnitOfWorkDep) -> Profile:
    return await service.get_profile(session=uow.session, name=name)


ManagedProfile = Annotated[Profile, Depends(managed_profile)]


def profile_data(posted: dict[str, Any]) -> dict[str, Any]:
    """The edit form as `PATCH /admin/profiles/{name}` takes it: every field is sent, so an
    emptied window or list clears it."""
    data: dict[str, Any] = {
        "description": posted.get("description", ""),
        "limits": window_limits(posted),
        "type_limits": json_field(posted, "type_limits", empty={}),
        "allow_all": posted.get("allow_all") == "on",
        "allowed_types": name_list(posted, "allowed_types"),
        "blocked_types": name_list(posted, "blocked_types"),
    }
    data.update({name: form_integer(posted.get(name, "")) for name in NUMBERS})
    return data


def profile_form(item: Profile) -> dict[str, Any]:
    return {
        "description": item.description,
        "type_limits": pretty_json(item.type_limits) if item.type_limits else "",
        "allow_all": "on" if item.allow_all else "",
        "allowed_types": "\n".join(item.allowed_types),
        "blocked_types": "\n".join(item.blocked_types),
        **{name: getattr(item, name) for name in NUMBERS},
    }


def add_profile_pages(console: Console) -> None:
    page = console.page

    async def list_view(
        request: HttpRequest,
        user: User,
        uow: UnitOfWork,
        errors: dict[str, str] | None = None,
        posted: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        return console.render(
            request,
            "profiles.html",
            status_code=status_code,
            user=user,
            profiles=await service.list_profiles(session=uow.session),
            errors=errors or {},
            posted=posted or {},
            GENERAL=GENERAL,
        )

    @page("/profiles", role=Role.ADMIN, scope=ADMIN, nav="Profiles")
    async def profiles_page(
        request: HttpRequest, user: ConsoleUser, uow: UnitOfWorkDep
    ) -> Response:
        return await list_view(request, user, uow)

    @page("/profiles", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def create_profile(
        request: HttpRequest, user: ConsoleUser, actor: ConsoleActor, uow: UnitOfWorkDep
    ) -> Response:
        """A new profile with no limits yet: its page sets them."""
        posted = await read_form(request)
        given = {"name": posted.get("name", ""), "description": posted.get("description", "")}
        try:
            data = ProfileCreate.model_validate(given)
            item = await service.create_profile(session=uow.session, data=data, actor=actor)
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except Conflict as exc:
            errors, status = {"name": exc.detail}, exc.status_code
        else:
            return RedirectResponse(f"{PREFIX}/profiles/{item.name}", status_code=303)
        return await list_view(request, user, uow, errors, given, status)

    async def detail(
        request: HttpRequest,
        user: User,
        item: Profile,
        uow: UnitOfWork,
        errors: dict[str, str] | None = None,
        posted: dict[str, Any] | None = None,
        status_code: int = 200,
        message: str | None = None,
    ) -> Response:
        return console.render(
            request,
            "profile.html",
            status_code=status_code,
            user=user,
            item=item,
            types=await service.list_request_types(session=uow.session),
            errors=errors or {},
            posted=posted if posted is not None else profile_form(item),
            limits=item.limits if posted is None else {},
            highest=HIGHEST_PRIORITY,
            message=message,
            GENERAL=GENERAL,
        )

    @page("/profiles/{name}", role=Role.ADMIN, scope=ADMIN)
    async def profile_page(
        request: HttpRequest,
        item: ManagedProfile,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        saved: bool = False,
    ) -> Response:
        return await detail(request, user, item, uow, message="Saved." if saved else None)

    @page("/profiles/{name}", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def update_profile(
        request: HttpRequest,
        item: ManagedProfile,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        try:
            data = ProfileUpdate.model_validate(profile_data(posted))
            await service.update_profile(session=uow.session, item=item, data=data, actor=actor)
        except BadJson as exc:
            errors, status = {exc.field: str(exc)}, 422
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict) as exc:
            errors, status = {GENERAL: exc.detail}, exc.status_code
        else:
            return RedirectResponse(f"{PREFIX}/profiles/{item.name}?saved=true", status_code=303)
        return await detail(request, user, item, uow, errors, posted, status)
