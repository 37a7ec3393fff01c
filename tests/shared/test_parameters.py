"""The one parameter check both networks run: safe on any schema a catalog may hold."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import Invalid
from shared.parameters import check_parameter_schema, check_parameters

NESTED = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "filters": {"type": "object", "properties": {"year": {"minimum": 1900}}},
    },
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "parameters",
    [
        {"city": ["sk-live-0123456789"]},
        {"city": {"token": "sk-live-0123456789"}},
        {"city": "x", "filters": "sk-live-0123456789"},
    ],
)
def test_a_refusal_never_repeats_the_value(parameters: dict[str, Any]) -> None:
    """A parameter may be a credential: error bodies, failure reasons and audit rows quote
    the refusal, so it names the field and the rule, never what was sent."""
    with pytest.raises(Invalid) as raised:
        check_parameters(NESTED, parameters)

    assert "sk-live" not in raised.value.detail
    assert raised.value.detail.startswith("parameters.")


@pytest.mark.parametrize(
    ("parameters", "field", "detail"),
    [
        ({}, "parameters", "city"),
        ({"city": 3}, "parameters.city", "the value is not of type"),
        ({"city": "x", "filters": {"year": 1066}}, "parameters.filters.year", "the value is less"),
    ],
)
def test_a_failing_field_is_named(parameters: dict[str, Any], field: str, detail: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_parameters(NESTED, parameters)

    assert (raised.value.code, raised.value.extra["field"]) == ("invalid.parameters", field)
    assert raised.value.detail.startswith(f"{field}: ")
    assert detail in raised.value.detail


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#"},
        {"type": "object", "properties": {"a": {"$ref": "#"}}},
        {"$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}}, "$ref": "#/$defs/x"},
        {"$ref": "file:///etc/passwd"},
    ],
)
def test_a_recursive_or_remote_schema_is_refused_not_followed(schema: dict[str, Any]) -> None:
    """What the planning re-check on the response network meets in an old catalog row."""
    with pytest.raises(Invalid) as raised:
        check_parameters(schema, {"a": {"a": {"a": 1}}})

    assert raised.value.code == "invalid.parameter_schema"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"$ref": {"type": "string"}}},
        {"type": "object", "properties": {"a": {"enum": [{"$ref": "http://x/y.json"}]}}},
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "definitions": {"a/b": {"type": "integer"}},
            "properties": {"n": {"$ref": "#/definitions/a~1b"}},
        },
    ],
)
def test_names_and_data_that_only_look_like_references_are_accepted(
    schema: dict[str, Any],
) -> None:
    check_parameter_schema(schema)
