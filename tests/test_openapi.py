"""The published OpenAPI descriptions: equal to the code's, with one error model and
readable, unique operation ids."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI

from core.openapi import render
from request_network.app import create_app as create_request_app
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from scripts.openapi import REQUEST_SPEC, RESPONSE_SPEC

REGENERATE = "the description drifted from the code: run `make openapi` and commit docs/openapi/"


@pytest.fixture
def backend() -> str:
    return "embedded"


@pytest.fixture
def response_app(response_settings: ResponseSettings, response_runtime: ResponseRuntime) -> FastAPI:
    return create_response_app(response_settings, response_runtime)


@pytest.fixture
def request_app(request_settings: RequestSettings, request_runtime: RequestRuntime) -> FastAPI:
    return create_request_app(request_settings, request_runtime)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_committed_descriptions_match_the_code(response_app: FastAPI, request_app: FastAPI) -> None:
    assert RESPONSE_SPEC.read_text() == render(response_app), REGENERATE
    assert REQUEST_SPEC.read_text() == render(request_app), REGENERATE


@pytest.mark.parametrize("network", ["response", "request"])
def test_every_operation_is_named_tagged_and_summarised(
    network: str, response_app: FastAPI, request_app: FastAPI
) -> None:
    spec = (response_app if network == "response" else request_app).openapi()
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert sorted(ids) == sorted(set(ids)), "operationIds must be unique"
    assert all(name.isidentifier() and name.islower() for name in ids)
    untold = [
        f"{method} {path}"
        for method, path, operation in operations(spec)
        if not operation.get("tags") or not operation.get("summary")
    ]
    assert untold == []


def test_errors_are_described_with_the_one_model(response_app: FastAPI) -> None:
    spec = response_app.openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Error"]["required"] == ["code", "detail"]
    submit = spec["paths"]["/admin/users/{user_id}"]["patch"]["responses"]
    assert sorted(submit) == ["200", "400", "401", "403", "404", "409", "413", "422"]
    for status in ("400", "401", "403", "404", "409", "413", "422"):
        schema = submit[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    assert submit["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert spec["info"]["version"] == version("airlock")


def test_rate_limited_routes_declare_retry_after(request_app: FastAPI) -> None:
    spec = request_app.openapi()
    submit = spec["paths"]["/requests"]["post"]["responses"]
    assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(submit["429"]["headers"])
    assert "RateLimit" in submit["201"]["headers"]
    login = spec["paths"]["/auth/token"]["post"]["responses"]
    assert login["429"]["headers"]["Retry-After"]["required"] is True


@pytest.mark.parametrize("published", [RESPONSE_SPEC, REQUEST_SPEC], ids=["response", "request"])
def test_every_example_fits_its_schema(published: Path) -> None:
    """An example a client copies must be accepted: each model's examples, and each example
    given on an operation's body or answer, validate against their schema (`$ref`s resolved
    in the description)."""
    spec = json.loads(published.read_text())
    schemas = spec["components"]["schemas"]
    checked, wrong = 0, []
    for name, schema in schemas.items():
        model = {"components": spec["components"], "$ref": f"#/components/schemas/{name}"}
        validator = jsonschema_rs.Draft202012Validator(model)
        for example in schema.get("examples", []):
            checked += 1
            wrong += [f"{name}: {error.message}" for error in validator.iter_errors(example)]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "example" in media:
                        model = {"components": spec["components"], **media["schema"]}
                        validator = jsonschema_rs.Draft202012Validator(model)
                        checked += 1
                        wrong += [
                            f"{method} {path}: {error.message}"
                            for error in validator.iter_errors(media["example"])
                        ]
    assert wrong == []
    assert checked > 0
