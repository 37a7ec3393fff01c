"""What a caller presented and what it allows, with no HTTP in it: services and the
dependencies in `core.deps` both use these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from core.errors import Forbidden
from core.security import TokenClaims, looks_like_api_key


@dataclass(frozen=True)
class Credentials:
    """What the caller presented: a bearer token, an API key, or nothing."""

    token: str | None = None
    api_key: str | None = None


def credentials_of(bearer: str | None, api_key: str | None) -> Credentials:
    """`X-API-Key: ak_...` or `Authorization: Bearer ak_...` is a key; any other bearer a token."""
    if api_key:
        return Credentials(api_key=api_key)
    if bearer and looks_like_api_key(bearer):
        return Credentials(api_key=bearer)
    return Credentials(token=bearer or None)


UserT = TypeVar("UserT")


@dataclass(frozen=True)
class Caller(Generic[UserT]):
    """Who is calling, and what their credentials allow."""

    user: UserT
    scopes: frozenset[str] | None = None
    """The API key's scopes; None for a login token or a key without scopes (the role's reach)."""
    token: TokenClaims | None = None
    """The login token's claims when the caller presented one; None for an API key."""


def ensure_scope(scopes: frozenset[str] | None, needed: str | None) -> None:
    """403 `forbidden.scope` unless the credentials carry `needed` (None: any will do)."""
    if needed is not None and scopes is not None and needed not in scopes:
        raise Forbidden(f"this API key lacks the {needed!r} scope", code="forbidden.scope")
