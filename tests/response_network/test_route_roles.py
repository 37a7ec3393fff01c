"""Every route of both networks against its declared minimum role: the table is the contract.

A route missing from the table fails the test, so a new route must declare who may call it.
Each route is called without credentials, then as a user, an operator and an admin, with
random ids in the path: 401/403 mean refused; anything else (404 and 422 included) means the
role check let the caller through. No route may answer 5xx.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from request_network.app import create_app as create_request_app
from request_network.auth.service import build_token_issuer
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.request_network.replica import insert_user

PUBLIC, USER, OPERATOR, ADMIN = "public", "user", "operator", "admin"

TRANSFER_ROUTES = {
    ("GET", "/admin/transfer"): ADMIN,
    ("POST", "/admin/transfer/quarantine/{name}/requeue"): ADMIN,
    ("POST", "/admin/transfer/gaps/{stream}/{sequence}/lost"): ADMIN,
}
ALERT_ROUTES = {("GET", "/admin/alerts"): ADMIN, ("GET", "/admin/tasks"): ADMIN}
RESPONSE_ROUTES = {
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/logout"): USER,
    ("GET", "/users/me"): USER,
    ("POST", "/users/me/password"): USER,
    ("POST", "/users/me/api-keys"): USER,
    ("GET", "/users/me/api-keys"): USER,
    ("DELETE", "/users/me/api-keys/{key_id}"): USER,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("PATCH", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("DELETE", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/api-keys"): ADMIN,
    ("GET", "/admin/users/{user_id}/api-keys"): ADMIN,
    ("DELETE", "/admin/users/{user_id}/api-keys/{key_id}"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("POST", "/admin/request-types"): ADMIN,
    ("GET", "/admin/request-types"): ADMIN,
    ("GET", "/admin/request-types/{name}"): ADMIN,
    ("PATCH", "/admin/request-types/{name}"): ADMIN,
    ("DELETE", "/admin/request-types/{name}"): ADMIN,
    ("POST", "/admin/request-types/{name}/try"): ADMIN,
    ("POST", "/admin/profiles"): ADMIN,
    ("GET", "/admin/profiles"): ADMIN,
    ("GET", "/admin/profiles/{name}"): ADMIN,
    ("PATCH", "/admin/profiles/{name}"): ADMIN,
    ("DELETE", "/admin/profiles/{name}"): ADMIN,
    ("POST", "/admin/users/{user_id}/grants"): ADMIN,
    ("GET", "/admin/users/{user_id}/grants"): ADMIN,
    ("DELETE", "/admin/users/{user_id}/grants/{name}"): ADMIN,
    ("GET", "/requests"): OPERATOR,
    ("GET", "/requests/{request_id}"): OPERATOR,
    ("POST", "/requests/{request_id}/claim"): OPERATOR,
    ("POST", "/requests/{request_id}/release"): OPERATOR,
    ("POST", "/requests/{request_id}/response"): OPERATOR,
    ("GET", "/admin/requests"): ADMIN,
    ("POST", "/admin/requests/retry"): ADMIN,
    ("POST", "/admin/requests/{request_id}/retry"): ADMIN,
    **TRANSFER_ROUTES,
    **ALERT_ROUTES,
}
REQUEST_ROUTES = {
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/logout"): USER,
    ("GET", "/users/me"): USER,
    ("POST", "/users/me/password"): USER,
    ("GET", "/request-types"): USER,
    ("POST", "/requests"): USER,
    ("GET", "/requests"): USER,
    ("GET", "/requests/{request_id}"): USER,
    ("GET", "/requests/{request_id}/response"): USER,
    ("GET", "/users/me/limits"): USER,
    ("POST", "/requests/{request_id}/cancel"): USER,
    ("GET", "/admin/requests"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("GET", "/admin/users/{user_id}/limits"): ADMIN,
    ("POST", "/admin/users/{user_id}/limits/reset"): ADMIN,
    ("GET", "/admin/cache/stats"): ADMIN,
    ("DELETE", "/admin/cache/clear"): ADMIN,
    ("DELETE", "/admin/cache/user/{user_id}"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    **TRANSFER_ROUTES,
    **ALERT_ROUTES,
}
UNGUARDED = {"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc", "/health", "/metrics"}
"""Documentation, liveness and metrics: open by design, outside the table."""

RANK = {USER: 0, OPERATOR: 1, ADMIN: 2}
LOGOUT = ("POST", "/auth/logout")


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in iter_route_contexts(app.routes):
        path = route.path
        # The console's pages take a cookie, not a bearer: test_console_route_roles.py.
        if path is None or path in UNGUARDED or path.startswith(("/health/", "/console")):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield method, path


async def check_every_route(
    app: FastAPI, table: dict[tuple[str, str], str], tokens: dict[str, str]
) -> None:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await _check_routes(client, set(routes(app)), table, tokens)


async def _check_routes(
    client: httpx.AsyncClient,
    found: set[tuple[str, str]],
    table: dict[tuple[str, str], str],
    tokens: dict[str, str],
) -> None:
    assert found - set(table) == set(), "routes missing from the role table"
    assert set(table) - found == set(), "the role table names routes that do not exist"
    wrong: list[str] = []
    # Logging out ends the token the walk uses: last.
    for method, template in sorted(found, key=lambda route: (route == LOGOUT, route)):
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        minimum = table[(method, template)]
        anonymous = await client.request(method, path)
        assert anonymous.status_code < 500, (method, template)
        if (anonymous.status_code == 401) != (minimum != PUBLIC):
            wrong.append(f"{method} {template} anonymous: {anonymous.status_code}")
        for role, token in tokens.items():
            answer = await client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, json={}
            )
            assert answer.status_code < 500, (method, template, role)
            allowed = minimum == PUBLIC or RANK[role] >= RANK[minimum]
            refused = answer.status_code in (401, 403)
            if refused == allowed or (not allowed and answer.status_code != 403):
                wrong.append(f"{method} {template} as {role}: {answer.status_code}")
    assert wrong == []


async def test_response_network_routes_match_the_role_table(
    response_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    response_tokens: dict[str, str],
) -> None:
    app = create_response_app(response_settings, response_runtime)
    await check_every_route(app, RESPONSE_ROUTES, response_tokens)


async def test_request_network_routes_match_the_role_table(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    issuer = build_token_issuer(request_settings)
    issued = {}
    for role in (USER, OPERATOR, ADMIN):
        user = await insert_user(request_runtime, f"as-{role}", password_hash=None, role=role)
        issued[role] = issuer.issue(str(user.id))[0]
    app = create_request_app(request_settings, request_runtime)
    await check_every_route(app, REQUEST_ROUTES, issued)
