"""Every route of both networks by every kind of credentials, against the table in routes.py.

The cases: no credentials; a login token of a user, an operator and an admin; and, all of
them an admin's (so that a case let through would reach everything), an expired token, an
`alg: none` token, a token of the other network (its issuer, audience and key), a token
signed with this network's key for the other network's audience, a logged-out token, a
revoked API key, a deactivated user's token and key, a key holding only the route's scope
and a key holding every scope but the route's; a plain user's key without scopes. Every 401
carries the `Bearer` challenge. Then, on every route whose path names the caller's own
object, another user's object: 404, the very answer an unknown id gets.

Random ids fill the paths, so an allowed call mostly ends in 404 or 422: anything but 401
and 403 means the credentials were let through. No route may answer 5xx. One app and one
database per network and backend serve every case (a few hundred calls in process).
"""

from __future__ import annotations

import re
import uuid

import httpx

from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.scopes import SESSION_ONLY
from tests.security.cast import Cast, Network, request_network, response_network
from tests.security.routes import (
    ADMIN,
    ANY,
    PUBLIC,
    RANK,
    REQUEST_OWNED,
    REQUEST_ROUTES,
    REQUEST_SCOPES,
    RESPONSE_OWNED,
    RESPONSE_ROUTES,
    RESPONSE_SCOPES,
    USER,
    Route,
    routes,
    scope_table,
)

LOGOUT = ("POST", "/auth/logout")
AT_LOGOUT: dict[str, Expected] = {
    "logged-out token": None,
    "deactivated user's token": None,
    "revoked key": (400, "bad_request.token_required"),
    "deactivated user's key": (400, "bad_request.token_required"),
}
"""Logging out authenticates nobody: a token this network signed is ended whatever its
user's state (again: 204, nothing written), and any key is refused before it is looked up."""
SLOW = {("GET", "/admin/tasks")}
"""Let through, it waits a second for Celery workers to answer on PostgreSQL + Redis: called
allowed once (the admin's token); that the `admin` scope opens it is test_route_scopes.py's."""
ALLOWED = None
"""The expected outcome of a case the route must let through."""

Expected = tuple[int, str] | None
"""(status, code) of the refusal, or ALLOWED."""


def with_ids(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)


def code_of(answer: httpx.Response) -> str | None:
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    return answer.json().get("code") if is_json and answer.content else None


def outcome(answer: httpx.Response) -> Expected:
    if answer.status_code in (400, 401, 403):
        code = code_of(answer)
        if answer.status_code != 400 or code == "bad_request.token_required":
            return answer.status_code, str(code)
    return ALLOWED


def role_case(minimum: str, role: str) -> Expected:
    if minimum == PUBLIC or RANK[role] >= RANK[minimum]:
        return ALLOWED
    return 403, "forbidden.role"


def key_cases(
    cast: Cast, minimum: str, scope: str, route: Route
) -> dict[str, tuple[dict[str, str], Expected]]:
    """The keys for a route needing `minimum` and `scope`, with what each must get."""
    if scope == SESSION_ONLY:
        session_only = (400, "bad_request.token_required")
        return {
            "user's key": (cast.users_key, session_only),
            "key with a scope": (cast.only[ADMIN], session_only),
        }
    cases = {"user's key": (cast.users_key, role_case(minimum, USER))}
    if scope == ANY:
        narrowest = next(name for name in cast.only if name != ADMIN)
        return cases | {"key with one scope": (cast.only[narrowest], ALLOWED)}
    if route not in SLOW:
        cases["key with the route's scope"] = (cast.only[scope], ALLOWED)
    return cases | {
        "key without the route's scope": (cast.all_but[scope], (403, "forbidden.scope"))
    }


async def walk(network: Network, table: dict[Route, str], scopes: dict[Route, str]) -> list[str]:
    """Every route with every case; returns what did not match the table."""
    client, app, cast = network.client, network.app, network.cast
    found = set(routes(app))
    assert found - set(table) == set(), "routes missing from the role table"
    assert set(table) - found == set(), "the role table names routes that do not exist"
    needs = scope_table(table, scopes)
    wrong: list[str] = []
    # Logging out ends the token the walk uses: last.
    for method, template in sorted(found, key=lambda route: (route == LOGOUT, route)):
        minimum = table[(method, template)]
        cases: dict[str, tuple[dict[str, str], Expected]] = {
            "anonymous": ({}, ALLOWED if minimum == PUBLIC else (401, "unauthorized.missing"))
        }
        cases |= {role: (headers, role_case(minimum, role)) for role, headers in cast.roles.items()}
        if minimum != PUBLIC:
            cases |= cast.refused
            if (method, template) == LOGOUT:
                cases |= {name: (cases[name][0], want) for name, want in AT_LOGOUT.items()}
            cases |= key_cases(cast, minimum, needs[(method, template)], (method, template))
        path = with_ids(template)
        for name, (headers, expected) in cases.items():
            answer = await client.request(method, path, headers=headers, json={})
            got = outcome(answer)
            if answer.status_code >= 500 or got != expected:
                wrong.append(f"{method} {template} {name}: {answer.status_code} {answer.text}")
            elif got == (403, "forbidden.scope") and needs[(method, template)] not in answer.text:
                wrong.append(f"{method} {template} {name}: the refusal names another scope")
            elif answer.status_code == 401 and answer.headers.get("www-authenticate") != "Bearer":
                wrong.append(f"{method} {template} {name}: 401 without a Bearer challenge")
    return wrong


async def someone_elses(network: Network, owned: dict[Route, str]) -> list[str]:
    """On each route naming an object of its caller's, a stranger gets for the owner's object
    the answer an unknown id gets (after the id), and the owner gets something else."""
    client, owner, stranger = network.client, network.owner, network.cast.roles[USER]
    wrong: list[str] = []
    for (method, template), object_id in sorted(owned.items()):
        theirs = re.sub(r"\{[^}]+\}", object_id, template)
        unknown_id = str(uuid.uuid4())
        unknown = re.sub(r"\{[^}]+\}", unknown_id, template)
        answer = await client.request(method, theirs, headers=stranger, json={})
        baseline = await client.request(method, unknown, headers=stranger, json={})
        own = await client.request(method, theirs, headers=owner, json={})
        if answer.status_code != 404 or baseline.status_code != 404:
            wrong.append(f"{method} {template} stranger: {answer.status_code} {answer.text}")
        elif answer.text.replace(object_id, "ID") != baseline.text.replace(unknown_id, "ID"):
            wrong.append(f"{method} {template}: {answer.text} != {baseline.text}")
        if own.status_code >= 400 and code_of(own) == code_of(answer):
            wrong.append(f"{method} {template} owner: {own.status_code} {own.text}")
    return wrong


async def test_response_network_routes_match_the_table(
    response_settings: ResponseSettings, response_runtime: ResponseRuntime
) -> None:
    async with response_network(response_settings, response_runtime) as network:
        owned = dict.fromkeys(RESPONSE_OWNED, network.owned)
        wrong = await someone_elses(network, owned)
        wrong += await walk(network, RESPONSE_ROUTES, RESPONSE_SCOPES)
    assert not wrong, "\n".join(wrong)


async def test_request_network_routes_match_the_table(
    request_settings: RequestSettings, request_runtime: RequestRuntime
) -> None:
    async with request_network(request_settings, request_runtime) as network:
        owned = dict.fromkeys(REQUEST_OWNED, network.owned)
        wrong = await someone_elses(network, owned)
        wrong += await walk(network, REQUEST_ROUTES, REQUEST_SCOPES)
    assert not wrong, "\n".join(wrong)
