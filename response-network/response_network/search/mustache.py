"""Checks of an Elasticsearch search template (mustache `source`) before a type may use it.

Elasticsearch renders the template itself with the request's parameters passed as `params`;
its mustache escapes every `{{name}}` for JSON. What is left for us to refuse is what would
reopen the injection hole or name what the type does not declare:

- unescaped output (`{{{name}}}`, `{{&name}}`), partials, delimiter changes;
- a name whose first part is not a declared parameter (the schema's `properties`), apart
  from `.` and the fields of the items inside a `{{#list}}` section;
- `{{name}}` outside a JSON string unless the parameter's schema type is a number, integer or
  boolean (an escaped string there could still bring `{`, `[` or `,` into the body): put it
  in quotes, or write `{{#toJson}}name{{/toJson}}`, which emits JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from response_network.search.template import MAX_TEMPLATE_BYTES, malformed, unknown_parameter

MAX_RESULTS_PARAM = "airlock_max_results"
"""Passed with every run: the smaller of the type's, the profile's and the settings' max
results, for a template's `"size": {{airlock_max_results}}`."""
LAMBDAS_OF_NAMES = ("toJson", "join")
"""Elasticsearch's lambdas whose content is a parameter name, not a template."""
_TAG = re.compile(r"\{\{(\{)?\s*([#^/!&>=<$]?)\s*(.*?)\s*(?(1)\}\}\}|\}\})", re.DOTALL)
_NAME = re.compile(r"^(\.|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*)$")
_UNQUOTED_TYPES = {"integer", "number", "boolean"}
WHERE = "handler_settings.source"


def check_source(source: Any, *, parameter_schema: Mapping[str, Any]) -> None:
    """Refuse (`invalid.search_template`, `invalid.template_parameter`) a mustache source that
    is not safe or not bounded; see the module's docstring."""
    if not isinstance(source, str) or not source.strip():
        raise malformed(WHERE, "a mustache source is a non-empty string")
    if len(source.encode()) > MAX_TEMPLATE_BYTES:
        raise malformed(WHERE, f"the template is larger than {MAX_TEMPLATE_BYTES} bytes")
    properties = _properties(parameter_schema)
    sections: list[str] = []
    in_string = False
    position = 0
    for tag in _TAG.finditer(source):
        if tag.start() < position:
            continue  # inside a lambda's content, checked as a name
        in_string = _string_state(source[position : tag.start()], in_string)
        position = tag.end()
        triple, sigil, name = tag.group(1), tag.group(2), tag.group(3)
        if triple or sigil == "&":
            raise malformed(WHERE, f"unescaped output {tag.group(0)!r} is not allowed")
        if sigil in (">", "<", "=", "$"):
            raise malformed(WHERE, f"{tag.group(0)!r}: partials and delimiters are not allowed")
        if sigil == "!":
            continue
        lambda_name = name.split(" ", 1)[0]
        if sigil == "#" and lambda_name in LAMBDAS_OF_NAMES:
            end = source.find(f"{{{{/{name}}}}}", tag.end())
            if end < 0:
                raise malformed(WHERE, f"{{{{#{lambda_name}}}}} is never closed")
            if lambda_name == "join" and not in_string:
                raise malformed(WHERE, "{{#join}} belongs inside a JSON string")
            _check_name(source[tag.end() : end].strip(), properties, sections)
            position = end + len(name) + 5
            continue
        if sigil == "/":
            if not sections or sections[-1] != name:
                raise malformed(WHERE, f"{tag.group(0)!r} closes no open section")
            sections.pop()
            continue
        if sigil in ("#", "^"):
            if name != "url":
                _check_name(name, properties, sections)
            sections.append(name)
            continue
        kind = _check_name(name, properties, sections)
        if not in_string and not (kind and set(kind) <= _UNQUOTED_TYPES):
            raise malformed(
                WHERE,
                f"{{{{{name}}}}} outside a JSON string must be a number or boolean parameter; "
                f'quote it ("{{{{{name}}}}}") or use {{{{#toJson}}}}{name}{{{{/toJson}}}}',
            )
    if sections:
        raise malformed(WHERE, f"{{{{#{sections[-1]}}}}} is never closed")
    if "{{" in _TAG.sub("", source):
        raise malformed(WHERE, "a {{ that opens no tag")


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    return dict(properties) if isinstance(properties, Mapping) else {}


def _types(schema: Any) -> list[str]:
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    return [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []


def _check_name(name: str, properties: dict[str, Any], sections: list[str]) -> list[str]:
    """The schema types of `name` (empty when unknown), or `invalid.template_parameter`."""
    if not _NAME.match(name):
        raise malformed(WHERE, f"{name!r} is not a parameter name")
    if name == MAX_RESULTS_PARAM:
        return ["integer"]
    first = name.split(".", 1)[0]
    if name != "." and first in properties:
        return _types(properties[first]) if first == name else []
    # Inside a section over a declared list or object, names may be its items' fields.
    for section in reversed(sections):
        outer = properties.get(section.split(".", 1)[0])
        if not isinstance(outer, Mapping):
            continue
        items = outer.get("items", outer)
        inner = _properties(items) if isinstance(items, Mapping) else {}
        if name == ".":
            return _types(items)
        if first in inner:
            return _types(inner[first]) if first == name else []
    if name == "." and sections:
        return []
    raise unknown_parameter(WHERE, first)


def _string_state(text: str, in_string: bool) -> bool:
    """Whether a JSON string is open after `text`, given whether one was open before it."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


def sample_parameters(parameter_schema: Mapping[str, Any]) -> dict[str, Any]:
    """A value for every declared parameter, to render the template once at definition time:
    `const`, `default`, the first of `examples` or `enum`, else one of the schema's type."""
    return {name: _sample(schema) for name, schema in _properties(parameter_schema).items()} | {
        MAX_RESULTS_PARAM: 10
    }


def _sample(schema: Any, depth: int = 0) -> Any:
    if not isinstance(schema, Mapping) or depth > 4:
        return "x"
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema[key][0]
    kind = (_types(schema) or ["string"])[0]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1)
        return low if isinstance(low, int | float) else 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items"), depth + 1)]
    if kind == "object":
        return {k: _sample(v, depth + 1) for k, v in _properties(schema).items()}
    if kind == "null":
        return None
    return "2000-01-01" if schema.get("format") in ("date", "date-time") else "x"
