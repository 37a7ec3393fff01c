"""Parameter schemas (JSON Schema) and the parameters checked against them.

Part of the contract: the response network checks schemas when a type is defined and
parameters on `try` and when it plans a request; the request network checks parameters before
it stores a request. All of them run the one validator here, built so that neither a schema
nor a submission can make the check reach outside, recurse or take more than linear time:

- the engine is `jsonschema-rs` (Rust) with retrieval off, its `uniqueItems` hashes instead of
  comparing every pair, and patterns run on Rust's `regex` crate (no backtracking; look-around
  and back-references are refused when the schema is compiled);
- `schema_limits.check_bounded` refuses what would still be unsafe: references that are not
  local JSON pointers, cycles, dynamic references, embedded `$id`s, and schemas that expand
  (through `$ref`) past `MAX_EXPANDED_SUBSCHEMAS`.

A schema is checked and compiled once per process (`_validator`, cached by its JSON text), so
a catalog row that holds an unsafe schema (an old or hostile catalog) is refused each time
with `invalid.parameter_schema`, never followed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema_rs

from core.errors import Invalid
from shared.schema_limits import UnsafeSchema, check_bounded

MAX_MESSAGE = 300
COMPILED_SCHEMAS = 256
"""How many compiled schemas each process keeps (one per request type and version in use)."""


@dataclass(frozen=True)
class _Refusal:
    detail: str
    extra: dict[str, object]

    def error(self) -> Invalid:
        return Invalid(self.detail, code="invalid.parameter_schema", extra=dict(self.extra))


def _where(path: list[str | int]) -> str:
    return "/".join(str(part) for part in path) or "schema"


def _refusal(detail: str, *, keyword: str | None, path: list[str | int]) -> _Refusal:
    field = ".".join(["parameter_schema", *(str(part) for part in path)])
    extra: dict[str, object] = {"field": field}
    if keyword is not None:
        extra["keyword"] = keyword
    return _Refusal(detail[:MAX_MESSAGE], extra)


def _compile(schema: Mapping[str, Any]) -> jsonschema_rs.Validator | _Refusal:
    """A validator for `schema`, or why it may not have one."""
    try:
        check_bounded(schema)
    except UnsafeSchema as unsafe:
        return _refusal(
            f"parameter_schema at {_where(unsafe.path)}: {unsafe}",
            keyword=unsafe.keyword,
            path=unsafe.path,
        )
    try:
        return jsonschema_rs.validator_for(
            dict(schema),
            validate_formats=True,
            offline=True,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except jsonschema_rs.ValidationError as exc:
        # Raised for a schema that fails its meta-schema, or a pattern the linear-time engine
        # cannot compile; `instance_path` is the place in the schema.
        path = list(exc.instance_path)
        keyword = next((str(part) for part in reversed(path) if isinstance(part, str)), None)
        if len(path) >= 2 and path[-2] == "patternProperties":
            keyword = "patternProperties"
        if keyword is None and "meta-schema" in exc.message:
            keyword = "$schema"
        return _refusal(
            f"parameter_schema is not valid JSON Schema at {_where(path)}: {exc.message}",
            keyword=keyword,
            path=path,
        )
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        return _refusal(f"parameter_schema cannot be compiled: {exc}", keyword=None, path=[])


@lru_cache(maxsize=COMPILED_SCHEMAS)
def _validator_of(text: str) -> jsonschema_rs.Validator | _Refusal:
    return _compile(json.loads(text))


def _validator(schema: Mapping[str, Any]) -> jsonschema_rs.Validator:
    try:
        text = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        raise _refusal("parameter_schema is not JSON", keyword=None, path=[]).error() from None
    compiled = _validator_of(text)
    if isinstance(compiled, _Refusal):
        raise compiled.error()
    return compiled


def check_parameter_schema(schema: dict[str, Any]) -> None:
    """A type's parameter schema must be valid, safe JSON Schema describing an object.

    `Invalid` (`invalid.parameter_schema`) names the place (`field`) and, where one is to
    blame, the `keyword` (`$ref`, `pattern`, ...).
    """
    _validator(schema)
    if schema.get("type") != "object":
        raise Invalid(
            'parameter_schema must describe an object ("type": "object")',
            code="invalid.parameter_schema",
            extra={"field": "parameter_schema.type", "keyword": "type"},
        )


def parameter_bytes(parameters: Mapping[str, Any]) -> int:
    return len(json.dumps(parameters, separators=(",", ":"), ensure_ascii=False).encode())


def _without_value(message: str, value: Any) -> str:
    """The validator's message with the offending value taken out: it names the field, and a
    parameter may be a credential, which error bodies, failure reasons and audit rows must
    not repeat. jsonschema-rs starts most messages with the value as compact JSON."""
    shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if message.startswith(shown + " "):
        message = "the value" + message[len(shown) :]
    # Elsewhere ("False schema does not allow ..."), unless so short it could be a word.
    if len(shown) > 3 and shown in message:
        message = message.replace(shown, "the value")
    return message


def check_parameters(schema: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """Raise `Invalid` (`invalid.parameters`) naming the first failing field's path.

    A schema that is not safe to run raises `invalid.parameter_schema` instead. Linear in the
    size of the parameters times the schema's (bounded) expansion; safe to call inline.
    """
    validator = _validator(schema)
    try:
        validator.validate(parameters)
    except jsonschema_rs.ValidationError as error:
        field = ".".join(str(part) for part in error.instance_path)
        where = f"parameters.{field}" if field else "parameters"
        message = _without_value(error.message, error.instance)[:MAX_MESSAGE]
        raise Invalid(
            f"{where}: {message}", code="invalid.parameters", extra={"field": where}
        ) from None
    except (ValueError, TypeError, OverflowError, RecursionError):
        # Values JSON Schema has no word for (NaN, numbers past 64 bits, ...).
        raise Invalid(
            "parameters: not plain JSON the schema can check",
            code="invalid.parameters",
            extra={"field": "parameters"},
        ) from None
