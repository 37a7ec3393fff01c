"""The response network's console session: the cookie over TLS, and the login throttle."""

from __future__ import annotations

import httpx

from response_network.users.models import User
from tests.request_network.console.conftest import csrf_of, log_in
from tests.response_network.auth.conftest import ClientWith
from tests.response_network.identity import PASSWORD

PROXY = "127.0.0.1"
"""The test client's address: trusted as a proxy where a test sets FORWARDED_ALLOW_IPS."""


def session_cookie(headers: list[tuple[str, str]]) -> str:
    return next(
        value
        for name, value in headers
        if name == "set-cookie" and value.startswith("airlock_console=")
    )


async def https_login(client: httpx.AsyncClient) -> httpx.Response:
    """A login through a proxy that ends TLS: the browser sends its Secure cookies (the test
    client, speaking plain HTTP to the app, would not, so they are sent by hand)."""
    client.headers["X-Forwarded-Proto"] = "https"
    page = await client.get("/console/login")
    client.cookies.clear()
    return await client.post(
        "/console/login",
        data={"username": "olga", "password": PASSWORD, "csrf_token": csrf_of(page)},
        headers={"Cookie": f"airlock_console_login={page.cookies['airlock_console_login']}"},
    )


async def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(
    client_with: ClientWith, operator: User
) -> None:
    async with client_with(forwarded_allow_ips=PROXY) as client:
        response = await https_login(client)
    assert response.status_code == 303
    assert "Secure" in session_cookie(response.headers.multi_items())

    # The same header from a peer that is not a trusted proxy changes nothing.
    async with client_with(peer="203.0.113.9", forwarded_allow_ips=PROXY) as client:
        response = await https_login(client)
    assert response.status_code == 303
    assert "Secure" not in session_cookie(response.headers.multi_items())


async def test_the_console_login_is_throttled_like_the_token_route(
    client_with: ClientWith, operator: User
) -> None:
    async with client_with(login_max_failures=2, login_delay_seconds=60) as client:
        statuses = [(await log_in(client, "olga", "wrong password")).status_code for _ in range(3)]
        # The right password is refused too while the wait lasts, on the form, not as JSON.
        refused = await log_in(client, "olga", PASSWORD)
        api = await client.post("/auth/token", data={"username": "olga", "password": PASSWORD})
    assert statuses[:2] == [401, 401]
    assert refused.status_code == 429
    assert "too many failed logins" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert api.status_code == 429  # one throttle for both doors
