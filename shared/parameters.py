"""Parameter schemas (JSON Schema) and the parameters checked against them.

Part of the contract: the response network checks schemas when a type is defined and
parameters on `try`; the request network checks parameters before it stores a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import best_match as best_error
from jsonschema.validators import validator_for

from core.errors import Invalid

MAX_MESSAGE = 300


def check_parameter_schema(schema: dict[str, Any]) -> None:
    """A type's parameter schema must be valid JSON Schema describing an object."""
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "schema"
        raise Invalid(
            f"parameter_schema is not valid JSON Schema at {where}: {exc.message[:MAX_MESSAGE]}",
            code="invalid.parameter_schema",
        ) from None
    if schema.get("type") != "object":
        raise Invalid(
            'parameter_schema must describe an object ("type": "object")',
            code="invalid.parameter_schema",
        )


def parameter_bytes(parameters: Mapping[str, Any]) -> int:
    return len(json.dumps(parameters, separators=(",", ":"), ensure_ascii=False).encode())


def check_parameters(schema: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """Raise `Invalid` (`invalid.parameters`) naming the failing field path."""
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    error = best_error(validator.iter_errors(parameters))
    if error is None:
        return
    field = ".".join(str(part) for part in error.absolute_path)
    where = f"parameters.{field}" if field else "parameters"
    raise Invalid(
        f"{where}: {error.message[:MAX_MESSAGE]}", code="invalid.parameters", extra={"field": where}
    )
