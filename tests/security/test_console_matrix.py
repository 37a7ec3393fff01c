"""Every console page of both networks against its minimum role (the page tables in
routes.py): a page missing from the table fails, so a new page must declare who may open it.

Each page is requested without a session (a redirect to the login page, unless public); with
a session cookie holding what the API refuses (an expired, `alg: none`, other network's,
logged-out or deactivated user's token, an API key): a redirect to the login page; then with
the session cookie of a user, an operator and an admin (with the CSRF token that cookie's
forms carry) and random ids in the path: 403 means refused; anything else but a redirect to
the login page means the role check let the caller through. No page may answer 5xx. A page
of one's own request shows another user's request as it shows an unknown id.
"""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.platform.console.session import SESSION_COOKIE, csrf_token_for
from tests.security.cast import Network, request_network, response_network, secret_of
from tests.security.routes import (
    PUBLIC,
    RANK,
    REQUEST_OWNED_PAGES,
    REQUEST_PAGES,
    RESPONSE_PAGES,
    USER,
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


async def visit(
    client: httpx.AsyncClient, method: str, path: str, token: str | None
) -> httpx.Response:
    """The page with `token` as the session cookie (and the CSRF token its forms carry)."""
    if token is None:
        return await client.request(method, path)
    client.cookies.set(SESSION_COOKIE, token)
    data = {"csrf_token": csrf_token_for(token)} if method == "POST" else None
    try:
        return await client.request(method, path, data=data)
    finally:
        client.cookies.clear()


async def check_every_page(network: Network, table: dict[tuple[str, str], str]) -> list[str]:
    found = pages(network.app)
    assert found - set(table) == set(), "pages missing from the role table"
    assert set(table) - found == set(), "the role table names pages that do not exist"
    cast = network.cast
    roles = {role: secret_of(headers) for role, headers in cast.roles.items()}
    # A session is a login: whatever the API refuses, and any API key, sends to log in.
    refused = {name: secret_of(headers) for name, (headers, _) in cast.refused.items()}
    refused["user's key"] = secret_of(cast.users_key)
    wrong: list[str] = []
    for method, template in sorted(found, key=lambda page: (page == LOGOUT, page)):
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        minimum = table[(method, template)]
        anonymous = await visit(network.client, method, path, None)
        assert anonymous.status_code < 500, (method, template)
        if to_login(anonymous) != (minimum != PUBLIC):
            wrong.append(f"{method} {template} anonymous: {anonymous.status_code}")
        if minimum == PUBLIC:
            continue  # no role check; a stale login form is its own 403
        for name, token in refused.items():
            answer = await visit(network.client, method, path, token)
            # Logging out ends whatever token this network signed, as the API's logout does.
            logged_out = (method, template) == LOGOUT and "reason=logged_out" in str(
                answer.headers.get("location")
            )
            if not (to_login(answer) or logged_out):
                wrong.append(f"{method} {template} {name}: {answer.status_code}")
        for role, token in roles.items():
            answer = await visit(network.client, method, path, token)
            assert answer.status_code < 500, (method, template, role)
            allowed = RANK[role] >= RANK[minimum]
            refused_here = answer.status_code == 403 or to_login(answer)
            if refused_here == allowed or (not allowed and answer.status_code != 403):
                wrong.append(f"{method} {template} as {role}: {answer.status_code}")
    return wrong


async def someone_elses(network: Network, owned: set[tuple[str, str]]) -> list[str]:
    """A stranger's session gets for the owner's object the page an unknown id gets."""
    stranger = secret_of(network.cast.roles[USER])
    wrong: list[str] = []
    for method, template in sorted(owned):
        unknown_id = str(uuid.uuid4())
        theirs = await visit(network.client, method, fill(template, network.owned), stranger)
        unknown = await visit(network.client, method, fill(template, unknown_id), stranger)
        own = await visit(
            network.client, method, fill(template, network.owned), secret_of(network.owner)
        )
        if theirs.status_code != 404 or unknown.status_code != 404:
            wrong.append(f"{method} {template} stranger: {theirs.status_code}")
        elif theirs.text.replace(network.owned, "ID") != unknown.text.replace(unknown_id, "ID"):
            wrong.append(f"{method} {template}: the stranger's page differs from an unknown id's")
        if (own.status_code, own.text) == (theirs.status_code, theirs.text):
            wrong.append(f"{method} {template}: the owner gets the stranger's page")
    return wrong


def fill(template: str, object_id: str) -> str:
    return template.replace("{request_id}", object_id).replace("{kind}", "json")


async def test_response_network_pages_match_the_role_table(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> None:
    async with response_network(response_settings, response_runtime) as network:
        wrong = await check_every_page(network, RESPONSE_PAGES)
    assert not wrong, "\n".join(wrong)


async def test_request_network_pages_match_the_role_table(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    async with request_network(request_settings, request_runtime) as network:
        wrong = await someone_elses(network, REQUEST_OWNED_PAGES)
        wrong += await check_every_page(network, REQUEST_PAGES)
    assert not wrong, "\n".join(wrong)
