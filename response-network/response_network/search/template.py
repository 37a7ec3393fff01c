"""Structured search templates: a small JSON query shape whose leaves name request parameters.

A template is checked once, when a request type is defined (`parse_template`: known
operators, declared parameters, bounded depth and size), and resolved per request
(`resolve`): every `{"param": name}` is replaced by the parameter's value, as a value, and a
clause whose parameter the request left out (or sent as null) is dropped. Each backend then
translates the resolved `Clause` tree into its own query objects with the values bound,
never into query-syntax text. The shape is a subset of Elasticsearch's query DSL:

    node  := {"bool": {"must"|"should"|"must_not": [node, ...]}}
           | {"match": {FIELD: value}}                          (words of a text field, ANDed)
           | {"term":  {FIELD: value}}                          (exact value of a filter field)
           | {"range": {FIELD: {"gte"|"gt"|"lte"|"lt": value}}} (numbers or ISO 8601 dates)
    value := a JSON scalar | {"param": NAME}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import Invalid
from response_network.search.query import FIELD_PATTERN, IndexSchema

MAX_TEMPLATE_BYTES = 16_384
"""Either form, as compact JSON (structured) or as text (mustache)."""
MAX_DEPTH = 8
"""Nested `bool`s, the top one included."""
MAX_CLAUSES = 64
"""Every node counted, `bool`s included."""
OCCURS = ("must", "should", "must_not")
BOUNDS = ("gte", "gt", "lte", "lt")
LEAVES = ("match", "term", "range")
_SCALARS = (str, bool, int, float)


@dataclass(frozen=True)
class Param:
    name: str


Value = str | bool | int | float | Param


@dataclass(frozen=True)
class Match:
    field: str
    text: Any
    """Resolved: the text (a string) whose words must all be in `field`."""


@dataclass(frozen=True)
class Term:
    field: str
    value: Any


@dataclass(frozen=True)
class RangeOf:
    field: str
    bounds: dict[str, Any]


@dataclass(frozen=True)
class Bool:
    must: tuple[Clause, ...] = ()
    should: tuple[Clause, ...] = ()
    """At least one must match (Elasticsearch's `minimum_should_match: 1`)."""
    must_not: tuple[Clause, ...] = ()


Clause = Match | Term | RangeOf | Bool


def malformed(where: str, detail: str) -> Invalid:
    return Invalid(f"{where}: {detail}", code="invalid.search_template", extra={"field": where})


def unknown_parameter(where: str, name: str) -> Invalid:
    return Invalid(
        f"{where}: the template names the parameter {name!r}, which the parameter schema "
        "does not declare under `properties`",
        code="invalid.template_parameter",
        extra={"field": where, "parameter": name},
    )


def declared_parameters(parameter_schema: Mapping[str, Any]) -> set[str]:
    """The parameter names a template may use: the schema's top-level `properties`."""
    properties = parameter_schema.get("properties")
    return set(properties) if isinstance(properties, Mapping) else set()


def parse_template(
    raw: Any, *, parameters: set[str] | None, where: str = "handler_settings.query"
) -> Clause:
    """The template as a `Clause` tree whose leaves may hold `Param`s; refuses with
    `invalid.search_template` (unknown operator, bad field name, too deep or too large) or
    `invalid.template_parameter` (a parameter the schema does not declare; None: any
    name, for a template already checked against its schema)."""
    if len(json.dumps(raw, separators=(",", ":"), default=str)) > MAX_TEMPLATE_BYTES:
        raise malformed(where, f"the template is larger than {MAX_TEMPLATE_BYTES} bytes as JSON")
    return _Parser(parameters).node(raw, where, depth=1)


class _Parser:
    def __init__(self, parameters: set[str] | None) -> None:
        self.parameters = parameters
        self.clauses = 0

    def node(self, raw: Any, where: str, *, depth: int) -> Clause:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise malformed(where, f"the template has more than {MAX_CLAUSES} clauses")
        if not isinstance(raw, dict) or len(raw) != 1:
            raise malformed(where, "a clause is an object with one operator")
        [(operator, body)] = raw.items()
        if operator == "bool":
            return self.bool(body, f"{where}.bool", depth=depth)
        if operator not in LEAVES:
            raise malformed(
                f"{where}.{operator}",
                f"unknown operator (known: bool, {', '.join(LEAVES)})",
            )
        inner = f"{where}.{operator}"
        if not isinstance(body, dict) or len(body) != 1:
            raise malformed(inner, "names one field")
        [(field, value)] = body.items()
        if not isinstance(field, str) or not re.fullmatch(FIELD_PATTERN, field):
            raise malformed(inner, f"{field!r} is not a field name")
        inner = f"{inner}.{field}"
        if operator == "range":
            if not isinstance(value, dict) or not value or set(value) - set(BOUNDS):
                raise malformed(inner, f"a range has one or more of {', '.join(BOUNDS)}")
            return RangeOf(field, {op: self.value(v, f"{inner}.{op}") for op, v in value.items()})
        leaf = Match if operator == "match" else Term
        return leaf(field, self.value(value, inner))

    def bool(self, body: Any, where: str, *, depth: int) -> Bool:
        if depth > MAX_DEPTH:
            raise malformed(where, f"bools nest deeper than {MAX_DEPTH}")
        if not isinstance(body, dict) or not body or set(body) - set(OCCURS):
            raise malformed(where, f"a bool has one or more of {', '.join(OCCURS)}")
        parts: dict[str, tuple[Clause, ...]] = {}
        for occur, children in body.items():
            if not isinstance(children, list) or not children:
                raise malformed(f"{where}.{occur}", "must be a non-empty list of clauses")
            parts[occur] = tuple(
                self.node(child, f"{where}.{occur}.{n}", depth=depth + 1)
                for n, child in enumerate(children)
            )
        return Bool(**parts)

    def value(self, raw: Any, where: str) -> Value:
        if isinstance(raw, dict):
            if set(raw) != {"param"} or not isinstance(raw["param"], str):
                raise malformed(where, 'a value is a JSON scalar or {"param": name}')
            if self.parameters is not None and raw["param"] not in self.parameters:
                raise unknown_parameter(where, raw["param"])
            return Param(raw["param"])
        if not isinstance(raw, _SCALARS):
            raise malformed(where, 'a value is a JSON scalar or {"param": name}')
        return raw


def resolve(template: Clause, parameters: Mapping[str, Any]) -> Clause | None:
    """The template with the request's values in place of its `Param`s; a leaf whose
    parameter is absent or null is dropped (a range keeps its other bounds), and a `bool`
    left empty is dropped too. None: nothing is left, every document matches.
    Raises `invalid.parameters` for a value that is not a JSON scalar."""
    if isinstance(template, Bool):
        parts = {
            occur: tuple(
                kept
                for child in getattr(template, occur)
                if (kept := resolve(child, parameters)) is not None
            )
            for occur in OCCURS
        }
        return Bool(**parts) if any(parts.values()) else None
    if isinstance(template, RangeOf):
        bounds = {op: _value(v, parameters) for op, v in template.bounds.items()}
        present = {op: v for op, v in bounds.items() if v is not None}
        return RangeOf(template.field, present) if present else None
    value = _value(template.text if isinstance(template, Match) else template.value, parameters)
    if value is None:
        return None
    if isinstance(template, Match):
        if not isinstance(value, str):
            raise Invalid(
                f"the text to match in {template.field!r} must be a string",
                code="invalid.parameters",
            )
        return Match(template.field, value)
    return Term(template.field, value)


def _value(value: Any, parameters: Mapping[str, Any]) -> Any:
    if not isinstance(value, Param):
        return value
    found = parameters.get(value.name)
    if found is not None and not isinstance(found, _SCALARS):
        raise Invalid(
            f"parameter {value.name!r} must be a single value (a string, number or boolean)",
            code="invalid.parameters",
        )
    return found


def as_json(clause: Clause | None) -> dict[str, Any]:
    """A resolved clause in the template's own shape (what `try` shows); `match_all` for None."""
    if clause is None:
        return {"match_all": {}}
    if isinstance(clause, Bool):
        return {
            "bool": {
                occur: [as_json(child) for child in getattr(clause, occur)]
                for occur in OCCURS
                if getattr(clause, occur)
            }
        }
    if isinstance(clause, Match):
        return {"match": {clause.field: clause.text}}
    if isinstance(clause, Term):
        return {"term": {clause.field: clause.value}}
    return {"range": {clause.field: dict(clause.bounds)}}


def fields_of(clause: Clause | None) -> tuple[set[str], set[str]]:
    """The text fields (`match`) and filter fields (`term`, `range`) a clause uses."""
    if clause is None:
        return set(), set()
    if isinstance(clause, Bool):
        texts: set[str] = set()
        filters: set[str] = set()
        for occur in OCCURS:
            for child in getattr(clause, occur):
                child_texts, child_filters = fields_of(child)
                texts |= child_texts
                filters |= child_filters
        return texts, filters
    if isinstance(clause, Match):
        return {clause.field}, set()
    return set(), {clause.field}


def check_template_fields(schema: IndexSchema, clause: Clause | None) -> None:
    """Refuse (`invalid.search_field`) a `match` on a field the index does not search as
    text, or a `term`/`range` on one it does not filter by."""
    texts, filters = fields_of(clause)
    refused = sorted((texts - set(schema.text_fields)) | (filters - set(schema.filter_fields)))
    if refused:
        raise Invalid(
            f"index {schema.name!r} does not allow: {', '.join(refused)}",
            code="invalid.search_field",
        )
