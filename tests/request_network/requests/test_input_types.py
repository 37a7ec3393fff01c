"""Submitting and reading requests takes a value of the JSON type the description states, in
the form it states, and nothing pydantic's lax mode would convert (`core/inputs.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from request_network.users.models import User
from tests.request_network.requests.conftest import Headers, Submit


def refusal(answer: httpx.Response) -> tuple[int, str, list[str | int], str]:
    body = answer.json()
    first = body["errors"][0]
    return answer.status_code, body["code"], first["loc"], first["type"]


@pytest.mark.parametrize(
    ("priority", "error"),
    [(False, "int_type"), ("1", "int_type"), (6.5, "int_from_float")],
    ids=["false", "numeric-string", "fraction"],
)
async def test_a_priority_of_another_json_type_is_refused(
    request_client: httpx.AsyncClient,
    alice: User,
    auth: Callable[[User], Headers],
    priority: Any,
    error: str,
) -> None:
    answer = await request_client.post(
        "/requests",
        json={"request_type": "weather", "parameters": {"city": "Oslo"}, "priority": priority},
        headers=auth(alice),
    )

    assert refusal(answer) == (422, "invalid.request", ["body", "priority"], error)


async def test_a_whole_number_written_as_a_float_is_an_integer(
    request_client: httpx.AsyncClient, alice: User, auth: Callable[[User], Headers]
) -> None:
    # JSON Schema's `integer` holds 4.0, and Schemathesis sends it as valid.
    answer = await request_client.post(
        "/requests",
        json={"request_type": "weather", "parameters": {"city": "Oslo"}, "priority": 4.0},
        headers=auth(alice),
    )

    assert (answer.status_code, answer.json()["priority"]) == (201, 4)


@pytest.mark.parametrize(
    ("params", "field", "error"),
    [
        ({"created_from": "1767225600"}, "created_from", "datetime_type"),
        ({"created_to": "2026-01-01"}, "created_to", "datetime_type"),
        ({"limit": "+5"}, "limit", "int_parsing"),
        ({"limit": " 5"}, "limit", "int_parsing"),
        ({"limit": "1_0"}, "limit", "int_parsing"),
    ],
    ids=["unix-time", "date-only", "plus-sign", "space", "underscore"],
)
async def test_a_filter_not_in_its_described_form_is_refused(
    request_client: httpx.AsyncClient,
    alice: User,
    auth: Callable[[User], Headers],
    params: dict[str, str],
    field: str,
    error: str,
) -> None:
    answer = await request_client.get("/requests", params=params, headers=auth(alice))

    assert refusal(answer) == (422, "invalid.request", ["query", field], error)


async def test_iso_times_integer_strings_and_uuids_still_read(
    submit: Submit,
    request_client: httpx.AsyncClient,
    alice: User,
    auth: Callable[[User], Headers],
) -> None:
    request_id = (await submit(alice)).json()["id"]
    headers = auth(alice)

    listed = await request_client.get(
        "/requests",
        params={"created_from": "2000-01-01T00:00:00Z", "created_to": "2999-01-01T00:00:00+02:00"},
        headers=headers,
    )
    paged = await request_client.get("/requests", params={"limit": "5"}, headers=headers)
    read = await request_client.get(f"/requests/{request_id}", headers=headers)
    shouted = await request_client.get(f"/requests/{request_id.upper()}", headers=headers)
    squashed = await request_client.get(f"/requests/{request_id.replace('-', '')}", headers=headers)

    assert [[item["id"] for item in page.json()["items"]] for page in (listed, paged)] == [
        [request_id],
        [request_id],
    ]
    assert [read.status_code, shouted.status_code] == [200, 200]
    assert refusal(squashed) == (422, "invalid.request", ["path", "request_id"], "uuid_type")
