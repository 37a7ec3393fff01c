"""A user's grants (with their own limits) and API keys (admins), over the services behind
`/admin/users/{id}/grants` and `/admin/users/{id}/api-keys` (audited there), with the same
admin check. A new key's secret is shown on the answer to its creation only.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.credentials import Caller
from core.deps import UnitOfWorkDep
from core.errors import Conflict, Forbidden, Invalid, NotFound
from response_network.api_keys import service as api_keys
from response_network.api_keys.schemas import ApiKeyCreate
from response_network.catalog import service as catalog
from response_network.catalog.schemas import GrantCreate, TypeName
from response_network.console.admin_forms import window_limits
from response_network.console.deps import ConsoleActor, ConsoleUser, get_console_caller
from response_network.console.users import ManagedUser, refusal, render_user
from response_network.users.models import Role, User
from shared.platform.console.forms import validation_errors
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

ADMIN = Scope.ADMIN
KEY_FIELDS = ("name", "scopes", "expires_at")
ConsoleCaller = Annotated[Caller[User], Depends(get_console_caller)]


def _back(managed: User, done: str) -> Response:
    return RedirectResponse(
        f"{PREFIX}/users/{managed.id}?{urlencode({'done': done})}", status_code=303
    )


def _key_data(posted: dict[str, Any]) -> dict[str, Any]:
    """The form as `ApiKeyCreate`: no scope ticked means every scope the role may have."""
    data: dict[str, Any] = {"name": posted.get("key_name", "")}
    scopes = [scope.value for scope in Scope if posted.get(f"scope.{scope.value}") == "on"]
    if scopes:
        data["scopes"] = scopes
    if str(posted.get("expires_at", "")).strip():
        data["expires_at"] = posted["expires_at"]
    return data


def add_user_access_pages(console: Console) -> None:
    page = console.page

    @page("/users/{user_id}/grants", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def grant(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        limits = window_limits(posted)
        given = {"request_type": posted.get("request_type", ""), "limits": limits or None}
        try:
            data = GrantCreate.model_validate(given)
            await catalog.grant_request_type(
                session=uow.session,
                user=managed,
                name=data.request_type,
                actor=actor,
                limits=data.limits,
            )
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict, NotFound) as exc:  # NotFound: no such (or a deleted) type
            errors, status = {"request_type": exc.detail}, exc.status_code
        else:
            return _back(managed, "granted")
        errors = {f"grant_{name}": message for name, message in errors.items()}
        return await render_user(
            console, request, user, managed, uow, errors=errors, status_code=status
        )

    @page("/users/{user_id}/grants/{name}/revoke", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def revoke_grant(
        request: HttpRequest,
        managed: ManagedUser,
        name: TypeName,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        await read_form(request)
        await catalog.revoke_grant(session=uow.session, user=managed, name=name, actor=actor)
        return _back(managed, "revoked")

    @page("/users/{user_id}/api-keys", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def create_key(
        request: HttpRequest,
        managed: ManagedUser,
        user: ConsoleUser,
        caller: ConsoleCaller,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        """The secret is rendered on this answer, never stored to be shown again."""
        posted = await read_form(request)
        try:
            data = ApiKeyCreate.model_validate(_key_data(posted))
            issued = await api_keys.create_api_key(
                session=uow.session, owner=managed, data=data, actor=actor, within=caller.scopes
            )
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict, Forbidden) as exc:
            errors, status = refusal(exc, KEY_FIELDS), exc.status_code
        else:
            return await render_user(
                console, request, user, managed, uow, new_key=issued.key, secret=issued.secret
            )
        errors = {f"key_{name}": message for name, message in errors.items()}
        return await render_user(
            console, request, user, managed, uow, errors=errors, status_code=status
        )

    @page(
        "/users/{user_id}/api-keys/{key_id}/revoke",
        role=Role.ADMIN,
        scope=ADMIN,
        methods=["POST"],
    )
    async def revoke_key(
        request: HttpRequest,
        managed: ManagedUser,
        key_id: uuid.UUID,
        actor: ConsoleActor,
        uow: UnitOfWorkDep,
    ) -> Response:
        await read_form(request)
        key = await api_keys.get_api_key(session=uow.session, key_id=key_id, owner_id=managed.id)
        await api_keys.revoke_api_key(session=uow.session, key=key, actor=actor)
        return _back(managed, "revoked")
