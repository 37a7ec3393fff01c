"""Every route of both networks declares the API key scope it needs: the table is the contract.

Read from the routes' dependencies (and, for the one route that checks its own credentials,
from the endpoint), so a new route without a scope fails here before any key reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from core.deps import declared_scope
from request_network.app import create_app as create_request_app
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.scopes import SESSION_ONLY, Scope
from tests.response_network.test_route_roles import (
    PUBLIC,
    REQUEST_ROUTES,
    RESPONSE_ROUTES,
    routes,
)

ANY = "any"
"""Any credentials will do, whatever their key's scopes."""

ADMIN = Scope.ADMIN.value
READ, WRITE = Scope.REQUESTS_READ.value, Scope.REQUESTS_WRITE.value
ANSWER, KEYS = Scope.REQUESTS_ANSWER.value, Scope.API_KEYS.value

REQUEST_SCOPES = {
    ("GET", "/users/me"): ANY,
    ("POST", "/users/me/password"): SESSION_ONLY,
    ("POST", "/auth/logout"): SESSION_ONLY,
    ("GET", "/request-types"): READ,
    ("POST", "/requests"): WRITE,
    ("GET", "/requests"): READ,
    ("GET", "/requests/{request_id}"): READ,
    ("GET", "/requests/{request_id}/response"): READ,
    ("GET", "/users/me/limits"): READ,
    ("POST", "/requests/{request_id}/cancel"): WRITE,
}
RESPONSE_SCOPES = {
    ("GET", "/users/me"): ANY,
    ("POST", "/users/me/password"): SESSION_ONLY,
    ("POST", "/auth/logout"): SESSION_ONLY,
    ("POST", "/users/me/api-keys"): KEYS,
    ("GET", "/users/me/api-keys"): KEYS,
    ("DELETE", "/users/me/api-keys/{key_id}"): KEYS,
    ("GET", "/requests"): ANSWER,
    ("GET", "/requests/{request_id}"): ANSWER,
    ("POST", "/requests/{request_id}/claim"): ANSWER,
    ("POST", "/requests/{request_id}/release"): ANSWER,
    ("POST", "/requests/{request_id}/response"): ANSWER,
}
"""Everything else that needs credentials is under `/admin` and needs the `admin` scope."""


Table = dict[tuple[str, str], str]


def expected(roles: Table, scopes: Table) -> dict[tuple[str, str], str | None]:
    table: dict[tuple[str, str], str | None] = {}
    for route, role in roles.items():
        if role == PUBLIC:
            continue
        table[route] = scopes.get(route, ADMIN if route[1].startswith("/admin") else None)
    return table


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def declared(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    """Each guarded route's declared scopes (`any` for None); empty when it declares none."""
    found: dict[tuple[str, str], set[str]] = {}
    wanted = set(routes(app))
    for route in iter_route_contexts(app.routes):
        if route.path is None or route.endpoint is None:
            continue
        for method in (route.methods or set()) - {"HEAD"}:
            if (method, route.path) not in wanted:
                continue
            scopes: set[str] = set()
            dependant: Dependant = route.dependant
            for call in (route.endpoint, *_calls(dependant)):
                declares, scope = declared_scope(call)
                if declares:
                    scopes.add(scope or ANY)
            found[(method, route.path)] = scopes
    return found


def check(app: FastAPI, roles: Table, scopes: Table) -> None:
    table = expected(roles, scopes)
    found = declared(app)
    public = {route for route, role in roles.items() if role == PUBLIC}
    assert {route: found[route] for route in public if found.get(route)} == {}
    undeclared = sorted(route for route in table if not found.get(route))
    assert undeclared == [], "routes that declare no scope"
    wrong = {
        route: (sorted(found[route]), want)
        for route, want in table.items()
        if found[route] != {want}
    }
    assert wrong == {}


async def test_every_response_network_route_declares_its_scope(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> None:
    check(
        create_response_app(response_settings, response_runtime), RESPONSE_ROUTES, RESPONSE_SCOPES
    )


async def test_every_request_network_route_declares_its_scope(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    check(create_request_app(request_settings, request_runtime), REQUEST_ROUTES, REQUEST_SCOPES)
