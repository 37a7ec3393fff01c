"""Parameter schemas an admin may define: local, finite, linear-time; the rest is refused."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.response_network.catalog.test_admin import create_type
from tests.waiting import scaled


def schema(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


CHAIN = {
    "type": "object",
    "$defs": {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 4} for i in range(12)}
    | {"d12": {"type": "string"}},
    "properties": {"a": {"$ref": "#/$defs/d0"}},
}
"""Twelve definitions, each naming the next four times: 4^12 subschemas once expanded."""


@pytest.mark.parametrize(
    ("parameter_schema", "keyword"),
    [
        (schema(a={"$ref": "file:///etc/passwd"}), "$ref"),
        (schema(a={"$ref": "http://127.0.0.1:9/schema.json"}), "$ref"),
        (schema(a={"$ref": "https://example.org/schema.json#/$defs/x"}), "$ref"),
        (schema(a={"$ref": "other.json"}), "$ref"),
        (schema(a={"$ref": "#anchor"}), "$ref"),
        (schema(a={"$ref": "#/$defs/missing"}), "$ref"),
        (schema(a={"$ref": "#"}), "$ref"),
        ({"type": "object", "$ref": "#"}, "$ref"),
        (
            {
                "type": "object",
                "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"items": {"$ref": "#/$defs/x"}}},
                "properties": {"a": {"$ref": "#/$defs/x"}},
            },
            "$ref",
        ),
        (schema(a={"$dynamicRef": "#node"}), "$dynamicRef"),
        (schema(a={"$recursiveRef": "#"}), "$recursiveRef"),
        (schema(a={"$id": "http://127.0.0.1:9/a.json", "type": "string"}), "$id"),
        ({"$schema": "http://127.0.0.1:9/meta.json", "type": "object"}, "$schema"),
        (schema(a={"type": "string", "pattern": "^(?=a)a$"}), "pattern"),
        (schema(a={"type": "string", "pattern": "(a)\\1"}), "pattern"),
        ({"type": "object", "patternProperties": {"(?<=x)y": {}}}, "patternProperties"),
        (CHAIN, "$ref"),
    ],
)
async def test_unsafe_schemas_are_refused_naming_the_keyword(
    response_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    parameter_schema: dict[str, Any],
    keyword: str,
) -> None:
    answer = await create_type(response_client, admin_headers, parameter_schema=parameter_schema)

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid.parameter_schema")
    assert answer.json()["keyword"] == keyword
    assert keyword in answer.json()["detail"]


async def test_a_change_to_an_unsafe_schema_is_refused_too(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert (await create_type(response_client, admin_headers)).status_code == 201

    changed = await response_client.patch(
        "/admin/request-types/lookup",
        json={"parameter_schema": schema(a={"$ref": "file:///etc/passwd"})},
        headers=admin_headers,
    )

    assert (changed.status_code, changed.json()["keyword"]) == (422, "$ref")


async def test_local_definitions_and_linear_patterns_are_accepted_and_checked(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    parameter_schema = {
        "type": "object",
        "$defs": {"word": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 20}},
        "properties": {
            "word": {"$ref": "#/$defs/word"},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/word"}, "uniqueItems": True},
        },
        "required": ["word"],
    }
    created = await create_type(response_client, admin_headers, parameter_schema=parameter_schema)
    assert created.status_code == 201, created.text

    tried = await response_client.post(
        "/admin/request-types/lookup/try",
        json={"parameters": {"word": "ok", "tags": ["a", "B"]}},
        headers=admin_headers,
    )

    assert (tried.status_code, tried.json()["field"]) == (422, "parameters.tags.1")


@pytest.mark.timeout(60)
async def test_a_backtracking_pattern_is_answered_at_once(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """`^(a+)+$` against forty a's and a '!' takes hours in a backtracking engine."""
    parameter_schema = schema(word={"type": "string", "pattern": "^(a+)+$"})
    created = await create_type(response_client, admin_headers, parameter_schema=parameter_schema)
    assert created.status_code == 201, created.text

    started = time.perf_counter()
    tried = await response_client.post(
        "/admin/request-types/lookup/try",
        json={"parameters": {"word": "a" * 40 + "!"}},
        headers=admin_headers,
    )
    elapsed = time.perf_counter() - started

    assert (tried.status_code, tried.json()["field"]) == (422, "parameters.word")
    # Milliseconds alone; hours for a backtracking engine: 10 s (scaled) spares a loaded machine.
    assert elapsed < scaled(10)
