"""Every route of both networks declares the API key scope it needs: the table is the contract.

Read from the routes' dependencies (and, for the one route that checks its own credentials,
from the endpoint), so a new route without a scope fails here before any key reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
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
from tests.security.routes import (
    ANY,
    PUBLIC,
    REQUEST_ROUTES,
    REQUEST_SCOPES,
    RESPONSE_ROUTES,
    RESPONSE_SCOPES,
    Route,
    routes,
    scope_table,
)


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


def check(app: FastAPI, roles: dict[Route, str], scopes: dict[Route, str]) -> None:
    table = scope_table(roles, scopes)
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


# The routes' declarations do not depend on the backend.
@pytest.mark.parametrize("backend", ["embedded"])
async def test_every_response_network_route_declares_its_scope(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> None:
    check(
        create_response_app(response_settings, response_runtime), RESPONSE_ROUTES, RESPONSE_SCOPES
    )


@pytest.mark.parametrize("backend", ["embedded"])
async def test_every_request_network_route_declares_its_scope(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    check(create_request_app(request_settings, request_runtime), REQUEST_ROUTES, REQUEST_SCOPES)
