"""Input PostgreSQL cannot store or this API did not mint is a 4xx on both backends, never 500."""

from __future__ import annotations

import uuid

import httpx

from core.pagination import encode_position

VALID = {"username": "carol", "email": "carol@example.org", "password": "long enough password"}


async def test_text_no_database_stores_is_422(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    nul_in_body = await response_client.post(
        "/admin/users", json={**VALID, "display_name": "a\x00b"}, headers=admin_headers
    )
    nul_in_key = await response_client.post(
        "/admin/users", json={**VALID, "limit_overrides": {"per\x00day": 1}}, headers=admin_headers
    )
    surrogate = await response_client.post(
        "/admin/users",
        content=b'{"username": "carol", "email": "c@example.org", "password": "long enough'
        b' password", "display_name": "\\ud800"}',
        headers={**admin_headers, "content-type": "application/json"},
    )
    nul_in_query = await response_client.get(
        "/admin/users", params={"q": "a\x00"}, headers=admin_headers
    )
    nul_in_cursor = await response_client.get(
        "/admin/users", params={"cursor": encode_position({"after": "\x00"})}, headers=admin_headers
    )
    naive_cursor = await response_client.get(
        "/admin/audit",
        params={"cursor": encode_position({"at": "2026-01-01T00:00:00", "id": str(uuid.uuid4())})},
        headers=admin_headers,
    )
    answers = [nul_in_body, nul_in_key, surrogate, nul_in_query, nul_in_cursor, naive_cursor]
    assert [a.status_code for a in answers] == [422] * 6


async def test_hostile_login_forms_are_refused_cleanly(response_client: httpx.AsyncClient) -> None:
    nul = await response_client.post("/auth/token", data={"username": "a\x00", "password": "x"})
    bad_utf8 = await response_client.post(
        "/auth/token",
        content=b"username=%ff%fe&password=whatever",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    missing = await response_client.post("/auth/token", data={"username": "alice"})
    assert nul.status_code == 422
    assert bad_utf8.status_code in (401, 422)
    assert missing.status_code == 422
