"""Logging in and out of the request network's console: the cookie, CSRF and its refusals."""

from __future__ import annotations

import uuid

import httpx

from request_network.users.models import User
from tests.request_network.console.conftest import csrf_of, log_in


async def test_a_page_without_a_session_sends_the_browser_to_the_login_page(
    request_client: httpx.AsyncClient,
) -> None:
    response = await request_client.get("/console/requests")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?reason=login"
    page = await request_client.get(response.headers["location"])
    assert "Please log in." in page.text


async def test_login_sets_a_strict_http_only_cookie_holding_a_token(
    request_client: httpx.AsyncClient, dana: User
) -> None:
    response = await log_in(request_client, "dana")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/types"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("airlock_console=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the proxy test for TLS
    portal = await request_client.get("/console/types")
    assert portal.status_code == 200
    assert "Weather forecast" in portal.text
    assert "Log out (dana)" in portal.text


async def test_a_wrong_password_is_shown_on_the_form_not_as_json(
    request_client: httpx.AsyncClient, dana: User
) -> None:
    response = await log_in(request_client, "dana", "not the password")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "incorrect username or password" in response.text
    assert 'value="dana"' in response.text


async def test_a_login_form_without_its_token_is_refused(
    request_client: httpx.AsyncClient, dana: User
) -> None:
    response = await request_client.post(
        "/console/login", data={"username": "dana", "password": "x", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "please log in again" in response.text
    assert "airlock_console=" not in response.headers.get("set-cookie", "")


async def test_a_stale_csrf_token_sends_the_user_to_log_in_again(
    signed_in: httpx.AsyncClient,
) -> None:
    response = await signed_in.post(
        "/console/types/forecast", data={"csrf_token": "stale", "p.city": "Oslo", "p.days": "2"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?reason=csrf"
    page = await signed_in.get(response.headers["location"])
    assert "The form was stale" in page.text
    # The session itself is not ended by a stale form: a fresh page works again.
    assert (await signed_in.get("/console/types")).status_code == 200


async def test_logout_revokes_the_token_so_the_cookie_no_longer_opens_pages(
    signed_in: httpx.AsyncClient,
) -> None:
    token = signed_in.cookies["airlock_console"]
    page = await signed_in.get("/console/types")
    response = await signed_in.post("/console/logout", data={"csrf_token": csrf_of(page)})
    assert response.headers["location"] == "/console/login?reason=logged_out"
    # The same token presented again (a copied cookie) is refused: it was revoked.
    signed_in.cookies.set("airlock_console", token, path="/console")
    again = await signed_in.get("/console/types")
    assert again.headers["location"] == "/console/login?reason=expired"
    api = await signed_in.get("/requests", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


async def test_an_oversize_form_gets_a_page_not_json(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post(
        "/console/types/forecast", content=b"x" * 2_000_000, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "larger than" in response.text
    api = await signed_in.post("/requests", content=b"x" * 2_000_000)
    assert api.json()["code"] == "payload_too_large"


async def test_a_field_longer_than_a_form_takes_is_refused_on_a_page(
    signed_in: httpx.AsyncClient,
) -> None:
    form = await signed_in.get("/console/types/forecast")
    response = await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": csrf_of(form), "p.city": "x" * 100_001, "p.days": "1"},
    )
    assert response.status_code == 422
    assert "a form field is longer than 100000 characters" in response.text
    assert "airlock_console" in signed_in.cookies  # a refused form keeps the session


async def test_an_htmx_poll_after_the_session_ended_asks_for_a_full_page_login(
    request_client: httpx.AsyncClient,
) -> None:
    response = await request_client.get(
        f"/console/requests/{uuid.uuid4()}/status", headers={"HX-Request": "true"}
    )
    # Not a redirect htmx would follow and swap into the fragment: a full navigation.
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/console/login?reason=login"
