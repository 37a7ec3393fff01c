"""Users (admins): search, create, edit, deactivate and reactivate, reset a password; over the
services behind `/admin/users` (audited there), with the same admin check. A user's grants and
API keys are in `user_access.py`.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.db import UnitOfWork
from core.deps import UnitOfWorkDep
from core.errors import AirlockError, Conflict, Invalid
from core.security import generate_password
from response_network.api_keys import service as api_keys
from response_network.catalog import service as catalog
from response_network.console.admin_forms import BadJson, json_field, pretty_json
from response_network.console.deps import ConsoleActor, ConsoleUser
from response_network.schemas import NO_NUL
from response_network.users import service
from response_network.users.models import Role, User
from response_network.users.schemas import UserCreate, UserUpdate
from shared.platform.console.forms import GENERAL, validation_errors
from shared.platform.console.paging import FIRST_PAGE, Paging, PagingDep
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

ADMIN = Scope.ADMIN


async def managed_user(user_id: uuid.UUID, uow: UnitOfWorkDep) -> User:
    """The user a page acts on (the page's admin check runs first, as for the API's)."""
    return await service.get_user(session=uow.session, user_id=user_id)


ManagedUser = Annotated[User, Depends(managed_user)]
Search = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
USER_FIELDS = ("username", "email", "password", "display_name", "role", "profile")
EDIT_FIELDS = ("email", "display_name", "role", "profile")
DONE = {
    "saved": "Saved.",
    "password": "The password is set; the user's sessions have ended.",
    "granted": "Granted.",
    "revoked": "Revoked.",
}
"""What a redirect after a change says on the user's page (`?done=`)."""


def refusal(exc: AirlockError, fields: tuple[str, ...]) -> dict[str, str]:
    """A service's refusal next to the field its code names (`invalid.password`), else on
    top of the form."""
    name = exc.code.partition(".")[2]
    return {name if name in fields else GENERAL: exc.detail}


def _checkbox(posted: dict[str, Any], name: str) -> bool:
    return posted.get(name) == "on"


def user_data(posted: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The form as the API's body; `limit_overrides` is a JSON object (empty: none)."""
    data: dict[str, Any] = {name: posted.get(name, "") for name in fields}
    data["request_network_login"] = _checkbox(posted, "request_network_login")
    data["limit_overrides"] = json_field(posted, "limit_overrides")
    return data


async def render_user(
    console: Console,
    request: HttpRequest,
    user: User,
    managed: User,
    uow: UnitOfWork,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status_code: int = 200,
    **shown_once: Any,
) -> Response:
    """A user's page: the edit form, password, activity switch, grants and API keys;
    `shown_once` carries a secret shown on this answer only."""
    grants = await catalog.list_grants(session=uow.session, user=managed)
    keys = await api_keys.list_api_keys(session=uow.session, owner_id=managed.id)
    form = posted or {
        "email": managed.email,
        "display_name": managed.display_name,
        "role": managed.role.value,
        "profile": managed.profile,
        "request_network_login": "on" if managed.request_network_login else "",
        "limit_overrides": pretty_json(managed.limit_overrides) if managed.limit_overrides else "",
    }
    return console.render(
        request,
        "user.html",
        status_code=status_code,
        user=user,
        managed=managed,
        grants=grants,
        keys=keys,
        roles=list(Role),
        profiles=await catalog.list_profiles(session=uow.session),
        types=await catalog.list_request_types(session=uow.session),
        scopes=list(Scope),
        errors=errors or {},
        posted=form,
        GENERAL=GENERAL,
        **shown_once,
    )


def add_user_pages(console: Console) -> None:
    page = console.page

    async def list_view(
        request: HttpRequest,
        user: User,
        uow: UnitOfWork,
        *,
        q: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        paging: Paging = FIRST_PAGE,
        errors: dict[str, str] | None = None,
        posted: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        users, next_cursor = await service.list_users(
            session=uow.session,
            filters=service.UserFilters(role=role, active=active, text=q),
            cursor=paging.cursor,
            limit=paging.limit,
        )
        filters = {"q": q or "", "role": role.value if role else "", "active": active}
        return console.render(
            request,
            "users.html",
            status_code=status_code,
            user=user,
            users=users,
            filters=filters,
            pages=paging.links("/users", next_cursor, **filters),
            roles=list(Role),
            profiles=await catalog.list_profiles(session=uow.session),
            errors=errors or {},
            posted=posted or {"profile": "default", "role": "user"},
            GENERAL=GENERAL,
        )

    @page("/users", role=Role.ADMIN, scope=ADMIN, nav="Users")
    async def users_page(
        request: HttpRequest,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        paging: PagingDep,
        q: Search = None,
        role: Annotated[Role | None, Query()] = None,
        active: Annotated[bool | None, Query()] = None,
    ) -> Response:
        return await list_view(
            request, user, uow, q=q or None, role=role, active=active, paging=paging
        )

    @page("/users", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def create_user(
        request: HttpRequest, user: ConsoleUser, actor: ConsoleActor, uow: UnitOfWorkDep
    ) -> Response:
        posted = await read_form(request)
        shown = {k: v for k, v in posted.items() if k != "password"}
        try:
            data = UserCreate.model_validate(user_data(posted, USER_FIELDS))
            created = await service.create_user(session=uow.session, data=data, actor=actor)
        except BadJson as exc:
            errors, status = {exc.field: str(exc)}, 422
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict) as exc:
            errors, status = refusal(exc, USER_FIELDS), exc.status_code
        else:
            return RedirectResponse(f"{PREFIX}/users/{created.id}", status_code=303)
        return await list_view(request, user, uow, errors=errors, posted=shown, status_code=status)

    @page("/users/{user_id}", role=Role.ADMIN, scope=ADMIN)
    async def user_page(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        uow: UnitOfWorkDep,
        done: Annotated[str | None, Query(max_length=32)] = None,
    ) -> Response:
        message = DONE.get(done or "")
        return await render_user(console, request, user, managed, uow, message=message)

    def back(managed: User, **query: str) -> Response:
        suffix = f"?{urlencode(query)}" if query else ""
        return RedirectResponse(f"{PREFIX}/users/{managed.id}{suffix}", status_code=303)

    @page("/users/{user_id}", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def update_user(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        try:
            data = UserUpdate.model_validate(user_data(posted, EDIT_FIELDS))
            await service.update_user(session=uow.session, user=managed, data=data, actor=actor)
        except BadJson as exc:
            errors, status = {exc.field: str(exc)}, 422
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict) as exc:
            errors, status = refusal(exc, EDIT_FIELDS), exc.status_code
        else:
            return back(managed, done="saved")
        return await render_user(
            console, request, user, managed, uow, errors=errors, posted=posted, status_code=status
        )

    @page("/users/{user_id}/active", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def set_active(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        """Deactivate (`POST /admin/users/{id}/deactivate`) or reactivate (`PATCH`, `active`)."""
        posted = await read_form(request)
        try:
            if posted.get("active") == "true":
                data = UserUpdate(active=True)
                await service.update_user(session=uow.session, user=managed, data=data, actor=actor)
            else:
                await service.deactivate_user(session=uow.session, user=managed, actor=actor)
        except Conflict as exc:  # the last active admin
            return await render_user(
                console, request, user, managed, uow, errors={"active": exc.detail}, status_code=409
            )
        return back(managed)

    @page("/users/{user_id}/password", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def reset_password(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        """Set the password typed, or a generated one, shown on this answer only (no redirect:
        it is never stored to be shown again)."""
        posted = await read_form(request)
        generated = posted.get("generate") == "yes"
        password = generate_password() if generated else str(posted.get("password", ""))
        try:
            await service.reset_password(
                session=uow.session, user=managed, password=password, actor=actor
            )
        except Invalid as exc:
            errors = {"new_password": exc.detail}
            return await render_user(
                console, request, user, managed, uow, errors=errors, status_code=422
            )
        if generated:
            return await render_user(console, request, user, managed, uow, new_password=password)
        return back(managed, done="password")
