"""Every console page of both networks against its minimum role, as the API's role table does
for the API: a page missing from the table fails, so a new page must declare who may open it.

Each page is requested without a session (a redirect to the login page, unless public), then
with the session cookie of a user, an operator and an admin (with the CSRF token that cookie's
forms carry) and random ids in the path: 403 means refused; anything else but a redirect to
the login page means the role check let the caller through. No page may answer 5xx.
"""

from __future__ import annotations

import re
import uuid

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
from shared.platform.console.session import SESSION_COOKIE, csrf_token_for
from tests.request_network.replica import insert_user
from tests.response_network.test_route_roles import ADMIN, OPERATOR, PUBLIC, RANK, USER

LOGIN_PAGES = {
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("POST", "/console/logout"): USER,
}
OPERATIONS_PAGES = {
    ("GET", "/console/transfer"): ADMIN,
    ("POST", "/console/transfer/quarantine/{name}/requeue"): ADMIN,
    ("POST", "/console/transfer/gaps/{stream}/{sequence}/lost"): ADMIN,
    ("GET", "/console/audit"): ADMIN,
    ("GET", "/console/alerts"): ADMIN,
    ("GET", "/console/tasks"): ADMIN,
}
"""The pages both networks mount (`shared.platform.console.operations`)."""
RESPONSE_PAGES = (
    LOGIN_PAGES
    | OPERATIONS_PAGES
    | {
        ("GET", "/console/queue"): OPERATOR,
        ("GET", "/console/queue/{request_id}"): OPERATOR,
        ("POST", "/console/queue/{request_id}/claim"): OPERATOR,
        ("POST", "/console/queue/{request_id}/release"): OPERATOR,
        ("POST", "/console/queue/{request_id}/response"): OPERATOR,
        ("GET", "/console/failed"): ADMIN,
        ("POST", "/console/failed/{request_id}/retry"): ADMIN,
        ("POST", "/console/failed/retry"): ADMIN,
        ("GET", "/console/users"): ADMIN,
        ("POST", "/console/users"): ADMIN,
        ("GET", "/console/users/{user_id}"): ADMIN,
        ("POST", "/console/users/{user_id}"): ADMIN,
        ("POST", "/console/users/{user_id}/active"): ADMIN,
        ("POST", "/console/users/{user_id}/password"): ADMIN,
        ("POST", "/console/users/{user_id}/grants"): ADMIN,
        ("POST", "/console/users/{user_id}/grants/{name}/revoke"): ADMIN,
        ("POST", "/console/users/{user_id}/api-keys"): ADMIN,
        ("POST", "/console/users/{user_id}/api-keys/{key_id}/revoke"): ADMIN,
        ("GET", "/console/profiles"): ADMIN,
        ("POST", "/console/profiles"): ADMIN,
        ("GET", "/console/profiles/{name}"): ADMIN,
        ("POST", "/console/profiles/{name}"): ADMIN,
        ("GET", "/console/types"): ADMIN,
        ("POST", "/console/types"): ADMIN,
        ("GET", "/console/types/_new"): ADMIN,
        ("POST", "/console/types/_preview"): ADMIN,
        ("GET", "/console/types/{name}"): ADMIN,
        ("POST", "/console/types/{name}"): ADMIN,
        ("POST", "/console/types/{name}/try"): ADMIN,
        ("GET", "/console/overview"): ADMIN,
    }
)
REQUEST_PAGES = (
    LOGIN_PAGES
    | OPERATIONS_PAGES
    | {
        ("GET", "/console/types"): USER,
        ("GET", "/console/types/{name}"): USER,
        ("POST", "/console/types/{name}"): USER,
        ("GET", "/console/requests"): USER,
        ("GET", "/console/requests/{request_id}"): USER,
        ("GET", "/console/requests/{request_id}/status"): USER,
        ("GET", "/console/requests/{request_id}/answer.{kind}"): USER,
        ("POST", "/console/requests/{request_id}/cancel"): USER,
        ("GET", "/console/limits"): USER,
        ("GET", "/console/keys"): USER,
        ("GET", "/console/admin/requests"): ADMIN,
        ("GET", "/console/admin/users"): ADMIN,
        ("GET", "/console/admin/users/{user_id}"): ADMIN,
        ("POST", "/console/admin/users/{user_id}/limits/reset"): ADMIN,
        ("GET", "/console/admin/cache"): ADMIN,
        ("POST", "/console/admin/cache/clear"): ADMIN,
        ("POST", "/console/admin/cache/user"): ADMIN,
    }
)
LOGOUT = ("POST", "/console/logout")


def pages(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path is not None and route.path.startswith("/console")
        for method in (route.methods or set()) - {"HEAD"}
    }


def to_login(answer: httpx.Response) -> bool:
    """Sent to log in because the session is missing or over (not: logged out on request)."""
    location = answer.headers.get("location", "")
    return (
        answer.status_code == 303
        and re.search(r"/console/login\?reason=(login|expired)$", location) is not None
    )


async def check_every_page(
    app: FastAPI, table: dict[tuple[str, str], str], tokens: dict[str, str]
) -> None:
    found = pages(app)
    assert found - set(table) == set(), "pages missing from the role table"
    assert set(table) - found == set(), "the role table names pages that do not exist"
    wrong: list[str] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for method, template in sorted(found, key=lambda page: (page == LOGOUT, page)):
                path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
                minimum = table[(method, template)]
                anonymous = await client.request(method, path)
                assert anonymous.status_code < 500, (method, template)
                if to_login(anonymous) != (minimum != PUBLIC):
                    wrong.append(f"{method} {template} anonymous: {anonymous.status_code}")
                for role, token in tokens.items():
                    client.cookies.set(SESSION_COOKIE, token)
                    data = {"csrf_token": csrf_token_for(token)} if method == "POST" else None
                    answer = await client.request(method, path, data=data)
                    client.cookies.clear()
                    assert answer.status_code < 500, (method, template, role)
                    if minimum == PUBLIC:
                        continue  # no role check; a stale login form is its own 403
                    allowed = minimum == PUBLIC or RANK[role] >= RANK[minimum]
                    refused = answer.status_code == 403 or to_login(answer)
                    if refused == allowed or (not allowed and answer.status_code != 403):
                        wrong.append(f"{method} {template} as {role}: {answer.status_code}")
    assert wrong == []


async def test_response_network_pages_match_the_role_table(
    response_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    response_tokens: dict[str, str],
) -> None:
    app = create_response_app(response_settings, response_runtime)
    await check_every_page(app, RESPONSE_PAGES, response_tokens)


async def test_request_network_pages_match_the_role_table(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    issuer = build_token_issuer(request_settings)
    issued = {}
    for role in (USER, OPERATOR, ADMIN):
        user = await insert_user(request_runtime, f"as-{role}", password_hash=None, role=role)
        issued[role] = issuer.issue(str(user.id))[0]
    app = create_request_app(request_settings, request_runtime)
    await check_every_page(app, REQUEST_PAGES, issued)
