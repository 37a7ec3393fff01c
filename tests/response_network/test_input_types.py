"""The admin and key routes take a value of the JSON type the description states, in the form
it states, and nothing pydantic's lax mode would convert (`core/inputs.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest


def refusal(answer: httpx.Response) -> tuple[int, str, list[str | int], str]:
    body = answer.json()
    first = body["errors"][0]
    return answer.status_code, body["code"], first["loc"], first["type"]


@pytest.mark.parametrize(
    ("path", "body", "loc", "error"),
    [
        (
            "/users/me/api-keys",
            {"name": "ci", "expires_at": 4102444800},
            ["body", "expires_at"],
            "datetime_type",
        ),
        (
            "/admin/requests/retry",
            {"failed_from": "4102444800"},
            ["body", "failed_from"],
            "datetime_type",
        ),
        ("/admin/requests/retry", {"limit": "10"}, ["body", "limit"], "int_type"),
        ("/admin/profiles", {"name": "p", "allow_all": "true"}, ["body", "allow_all"], "bool_type"),
        (
            "/admin/profiles",
            {"name": "p", "max_priority": False},
            ["body", "max_priority"],
            "int_type",
        ),
        (
            "/admin/profiles",
            {"name": "p", "limits": {"day": {"soft": "1", "hard": 2}}},
            ["body", "limits", "day", "soft"],
            "int_type",
        ),
    ],
    ids=[
        "unix-time-expiry",
        "unix-time-string-bound",
        "numeric-string-limit",
        "string-boolean",
        "false-priority",
        "numeric-string-window",
    ],
)
async def test_a_body_field_of_another_json_type_is_refused(
    response_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    path: str,
    body: dict[str, Any],
    loc: list[str],
    error: str,
) -> None:
    answer = await response_client.post(path, json=body, headers=admin_headers)

    assert refusal(answer) == (422, "invalid.request", loc, error)


@pytest.mark.parametrize(
    ("path", "params", "loc", "error"),
    [
        ("/admin/audit", {"from": "4102444800"}, ["query", "from"], "datetime_type"),
        ("/admin/users", {"active": "1"}, ["query", "active"], "bool_parsing"),
        (
            "/admin/request-types",
            {"include_deleted": "yes"},
            ["query", "include_deleted"],
            "bool_parsing",
        ),
        ("/admin/audit", {"actor_id": "{" + "0" * 32 + "}"}, ["query", "actor_id"], "uuid_type"),
    ],
    ids=["unix-time", "numeric-boolean", "word-boolean", "braced-uuid"],
)
async def test_a_query_parameter_not_in_its_described_form_is_refused(
    response_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    path: str,
    params: dict[str, str],
    loc: list[str],
    error: str,
) -> None:
    answer = await response_client.get(path, params=params, headers=admin_headers)

    assert refusal(answer) == (422, "invalid.request", loc, error)


async def test_iso_times_booleans_and_integers_in_their_forms_still_work(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    key = await response_client.post(
        "/users/me/api-keys",
        json={"name": "ci", "expires_at": "2099-12-31T23:59:59.5+01:00"},
        headers=admin_headers,
    )
    profile = await response_client.post(
        "/admin/profiles",
        json={"name": "p", "allow_all": True, "limits": {"day": {"soft": 1, "hard": 2.0}}},
        headers=admin_headers,
    )
    users = await response_client.get(
        "/admin/users", params={"active": "true", "limit": "5"}, headers=admin_headers
    )
    audit = await response_client.get(
        "/admin/audit", params={"from": "2000-01-01T00:00:00", "limit": "5"}, headers=admin_headers
    )

    assert [key.status_code, profile.status_code, users.status_code, audit.status_code] == [
        201,
        201,
        200,
        200,
    ]
    assert datetime.fromisoformat(key.json()["expires_at"]) == datetime(
        2099, 12, 31, 22, 59, 59, 500_000, tzinfo=UTC
    )
    assert profile.json()["limits"] == {"day": {"soft": 1, "hard": 2}}
    assert [user["username"] for user in users.json()["items"]] == ["root"]
