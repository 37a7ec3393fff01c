"""Who may call every route of both networks: the one table the security suite, the scope
check, the console walk and the OpenAPI conformance runs read.

A route missing from these tables fails `test_route_matrix.py`, so a new route must declare
who may call it (its minimum role), which API key scope it needs, and whether its path names
an object its caller must own.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from shared.scopes import SESSION_ONLY, Scope

PUBLIC, USER, OPERATOR, ADMIN = "public", "user", "operator", "admin"
RANK = {USER: 0, OPERATOR: 1, ADMIN: 2}

Route = tuple[str, str]
"""(method, path template)"""

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
    ("POST", "/admin/users/{user_id}/deactivate"): ADMIN,
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
"""Documentation, liveness and metrics: open by design, outside the table (the request
network's `/metrics` takes its own scrape token: tests/ops/test_metrics_token.py)."""

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
REQUEST_OWNED_PAGES = {
    ("GET", "/console/requests/{request_id}"),
    ("GET", "/console/requests/{request_id}/status"),
    ("GET", "/console/requests/{request_id}/answer.{kind}"),
    ("POST", "/console/requests/{request_id}/cancel"),
}
"""Pages of one's own request: another user's is missing, as an unknown id is."""
"""The console's pages (a session cookie, not a bearer): test_console_matrix.py."""

ANY = "any"
"""Any credentials will do, whatever their key's scopes."""
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

REQUEST_OWNED = {
    ("GET", "/requests/{request_id}"),
    ("GET", "/requests/{request_id}/response"),
    ("POST", "/requests/{request_id}/cancel"),
}
RESPONSE_OWNED = {("DELETE", "/users/me/api-keys/{key_id}")}
"""Routes whose path names an object of the caller's own: another user's answers 404, the
same answer as an id that does not exist."""


def scope_table(roles: dict[Route, str], scopes: dict[Route, str]) -> dict[Route, str]:
    """Each guarded route's scope: a `Scope` value, `ANY` or `SESSION_ONLY`."""
    return {
        route: scopes.get(route, ADMIN if route[1].startswith("/admin") else ANY)
        for route, role in roles.items()
        if role != PUBLIC
    }


def routes(app: FastAPI) -> Iterator[Route]:
    """The API routes of `app`: every one must be in the tables above."""
    for route in iter_route_contexts(app.routes):
        path = route.path
        # The console's pages take a cookie, not a bearer: test_console_matrix.py.
        if path is None or path in UNGUARDED or path.startswith(("/health/", "/console")):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield method, path
