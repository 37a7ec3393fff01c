"""The identity dependencies both networks declare, built over the network's own caller
dependency (each network authenticates against its own tables; the checks are the same).

No `from __future__ import annotations` here: FastAPI reads the parameter annotations of the
closures below, and postponed ones could not see the closure's `get_caller`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends

from core.audit import Actor
from core.credentials import Caller, ensure_scope
from core.deps import ClientAddress, RuntimeDep, bearer_scheme, declare_scope
from core.errors import Forbidden
from core.openapi import declare_errors, declare_security
from shared.principals import Role, ensure_session
from shared.scopes import SESSION_ONLY, Scope

UserT = TypeVar("UserT")
SettingsT = TypeVar("SettingsT")


def current_user(
    get_caller: Callable[..., Awaitable[Caller[UserT]]],
) -> Callable[..., Awaitable[UserT]]:
    """`get_current_user`: the caller's user, whatever its credentials allow."""

    async def get_current_user(caller: Annotated[Caller[Any], Depends(get_caller)]) -> Any:
        return caller.user

    return get_current_user


def require_scope(
    get_caller: Callable[..., Awaitable[Caller[UserT]]], scope: Scope | None
) -> Callable[..., Awaitable[UserT]]:
    """A dependency that lets through credentials carrying `scope` (None: any), else 403."""

    async def check(caller: Annotated[Caller[Any], Depends(get_caller)]) -> Any:
        ensure_scope(caller.scopes, scope)
        return caller.user

    check.__name__ = f"require_scope_{scope or 'any'}"
    if scope is not None:
        declare_errors(check, 403)
    return declare_scope(check, scope)


def require_session(
    get_caller: Callable[..., Awaitable[Caller[UserT]]],
) -> Callable[..., Awaitable[Caller[UserT]]]:
    """A dependency that lets through a login token's caller and refuses every API key."""

    async def check(caller: Annotated[Caller[Any], Depends(get_caller)]) -> Any:
        ensure_session(api_key=caller.token is None)
        return caller

    check.__name__ = "require_session"
    # A key is refused (400): the description names the login token as the only way in.
    declare_security(check, [{bearer_scheme.scheme_name: []}])
    return declare_scope(declare_errors(check, 400), SESSION_ONLY)


def require_role(
    get_caller: Callable[..., Awaitable[Caller[UserT]]], minimum: Role, scope: Scope
) -> Callable[..., Awaitable[UserT]]:
    """A dependency that lets through users of `minimum` role or above whose credentials
    carry `scope`, else 403 (`forbidden.role`, then `forbidden.scope`)."""

    async def check(caller: Annotated[Caller[Any], Depends(get_caller)]) -> Any:
        if not caller.user.role.at_least(minimum):
            raise Forbidden(f"this needs the {minimum.value} role", code="forbidden.role")
        ensure_scope(caller.scopes, scope)
        return caller.user

    check.__name__ = f"require_{minimum.value}"
    return declare_scope(declare_errors(check, 403), scope)


def current_actor(
    get_current_user: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Actor]]:
    """`get_current_actor`: the caller as the audit trail names them, who and from where."""

    async def get_current_actor(
        user: Annotated[Any, Depends(get_current_user)], address: ClientAddress
    ) -> Actor:
        return Actor(id=user.id, name=user.username, address=address)

    return get_current_actor


def settings_of(settings_type: type[SettingsT]) -> Callable[..., Awaitable[SettingsT]]:
    """`get_settings`: the runtime's settings, as the network's own settings class (the
    network's runtime holds that class: `settings_type` types the dependency)."""

    async def get_settings(runtime: RuntimeDep) -> Any:
        return runtime.settings

    return get_settings


@dataclass(frozen=True)
class IdentityDeps(Generic[UserT, SettingsT]):
    """The identity dependencies of one network, bound to its caller and settings class;
    its `deps.py` unpacks them and names its `Annotated` aliases over them."""

    caller: Callable[..., Awaitable[Caller[UserT]]]
    user: Callable[..., Awaitable[UserT]]
    actor: Callable[..., Awaitable[Actor]]
    settings: Callable[..., Awaitable[SettingsT]]
    any_scope: Callable[..., Awaitable[UserT]]
    """For routes every authenticated caller may use, whatever its key's scopes."""
    admin: Callable[..., Awaitable[UserT]]
    """Admins whose credentials carry the `admin` scope."""
    session: Callable[..., Awaitable[Caller[UserT]]]
    """A login token's caller: the session routes (logout, own password) refuse API keys."""

    def scope(self, scope: Scope | None) -> Callable[..., Awaitable[UserT]]:
        """Credentials carrying `scope` (None: any), else 403."""
        return require_scope(self.caller, scope)

    def role(self, minimum: Role, scope: Scope) -> Callable[..., Awaitable[UserT]]:
        """Users of `minimum` role or above whose credentials carry `scope`, else 403."""
        return require_role(self.caller, minimum, scope)


def bind_principals(
    get_caller: Callable[..., Awaitable[Caller[UserT]]], settings_type: type[SettingsT]
) -> IdentityDeps[UserT, SettingsT]:
    """Every identity dependency of a network, from its `get_caller` and settings class."""
    get_current_user = current_user(get_caller)
    return IdentityDeps(
        caller=get_caller,
        user=get_current_user,
        actor=current_actor(get_current_user),
        settings=settings_of(settings_type),
        any_scope=require_scope(get_caller, None),
        admin=require_role(get_caller, Role.ADMIN, Scope.ADMIN),
        session=require_session(get_caller),
    )
