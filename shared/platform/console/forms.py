"""Forms generated from a request type's JSON Schema, and the posted values turned back into
the parameters the API would take.

Handled: an object of flat properties (string with maxLength/minLength/pattern, enum as a
select, integer and number with bounds, boolean as a checkbox). Anything else (nested objects,
arrays, combinators, references) falls back to one JSON textarea. The values are only
converted here; the schema is checked by the submission service, as for the API, and its
error (`invalid.parameters`, with the failing `field`) is shown next to that field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BeforeValidator, ValidationError

JSON_FIELD = "parameters_json"
"""The fallback textarea's name; also where an error no field claims is shown."""
PREFIX = "p."
"""Form names of the generated fields (`p.<property>`), apart from the console's own."""
SCALARS = frozenset({"string", "integer", "number", "boolean"})


@dataclass
class FormField:
    name: str
    label: str
    kind: str
    """text, integer, number, checkbox or select."""
    required: bool = False
    description: str | None = None
    options: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    value: str = ""
    error: str | None = None


def field_id(name: str) -> str:
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


def _kind(prop: dict[str, Any]) -> str | None:
    if "enum" in prop:
        values = prop["enum"]
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            return "select"
        return None
    kind = prop.get("type")
    if kind not in SCALARS:
        return None
    return {"string": "text", "boolean": "checkbox"}.get(kind, str(kind))


def fields_of(schema: dict[str, Any]) -> list[FormField] | None:
    """The form of `schema`, or None when only the JSON textarea can express it."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict):
        return None
    if any(key in schema for key in ("allOf", "anyOf", "oneOf", "not", "$ref", "if")):
        return None
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in properties.items():
        kind = _kind(prop) if isinstance(prop, dict) else None
        if kind is None:
            return None
        fields.append(
            FormField(
                name=name,
                label=str(prop.get("title") or name),
                kind=kind,
                required=name in required,
                description=prop.get("description"),
                options=list(prop.get("enum") or []),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                max_length=prop.get("maxLength"),
                min_length=prop.get("minLength"),
                pattern=prop.get("pattern"),
            )
        )
    return fields


def _number(text: str, kind: str) -> int | float | None:
    try:
        value = int(text) if kind == "integer" else float(text)
    except ValueError:
        return None
    return value if not isinstance(value, float) or math.isfinite(value) else None


@dataclass
class FilledForm:
    fields: list[FormField] | None
    """None: the JSON textarea form."""
    parameters: dict[str, Any]
    errors: dict[str, str]
    """Form field name (`p.<property>` or `parameters_json`) -> message."""
    raw_json: str = ""


def fill(schema: dict[str, Any], posted: dict[str, str]) -> FilledForm:
    """The parameters the posted form means, and the values it could not convert."""
    fields = fields_of(schema)
    if fields is None:
        raw = posted.get(JSON_FIELD, "")
        try:
            given = json.loads(raw or "{}")
        except ValueError as exc:
            return FilledForm(None, {}, {JSON_FIELD: f"not valid JSON: {exc}"}, raw)
        if not isinstance(given, dict):
            return FilledForm(None, {}, {JSON_FIELD: "must be a JSON object"}, raw)
        return FilledForm(None, given, {}, raw)
    parameters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in fields:
        text = posted.get(PREFIX + item.name, "")
        item.value = text
        if item.kind == "checkbox":
            parameters[item.name] = text == "on"
        elif text == "":
            continue  # left empty: absent, and the schema says whether it may be
        elif item.kind in ("integer", "number"):
            number = _number(text.strip(), item.kind)
            if number is None:
                word = "a whole number" if item.kind == "integer" else "a number"
                errors[PREFIX + item.name] = f"must be {word}"
            else:
                parameters[item.name] = number
        else:
            parameters[item.name] = text
    return FilledForm(fields, parameters, errors)


def error_field(form: FilledForm, field_path: str | None, detail: str) -> str:
    """The form field an API error (`field` = `parameters.<name>...`) belongs to; a missing
    required property is named only in the message."""
    if form.fields is None or not field_path:
        return JSON_FIELD
    for item in form.fields:
        if field_path.startswith(f"parameters.{item.name}") or (
            field_path == "parameters" and f'"{item.name}" is a required property' in detail
        ):
            return PREFIX + item.name
    return JSON_FIELD


def field_message(detail: str, field_path: str | None) -> str:
    """The API's message without the path it starts with (the field already shows where)."""
    prefix = f"{field_path}: " if field_path else ""
    return detail.removeprefix(prefix) if prefix else detail


def attach_errors(form: FilledForm) -> None:
    if form.fields is not None:
        for item in form.fields:
            item.error = form.errors.get(PREFIX + item.name)


GENERAL = "__all__"
"""Where an error no single field owns is shown (the form's top)."""


def validation_errors(error: ValidationError) -> dict[str, str]:
    """A schema's validation errors (the API's 422) by form field: its first `loc` part."""
    errors: dict[str, str] = {}
    for item in error.errors():
        where = str(item["loc"][0]) if item.get("loc") else GENERAL
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        errors.setdefault(where, message)
    return errors


def blank_as_none(value: Any) -> Any:
    return None if value == "" else value


Blank = BeforeValidator(blank_as_none)
"""A filter's "any" option sends an empty value (`?status=`): read it as no filter, not as a
value the type refuses. Use as `Annotated[RequestStatus | None, Blank] = None`."""
