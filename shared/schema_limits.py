"""What makes a parameter schema safe to run, beyond being valid JSON Schema.

One walk over the schema, following `$ref`s as the validator would: every reference must be a
JSON pointer into the schema itself (`#`, `#/$defs/x`), never a URI to fetch (`file:`,
`http:`, a relative name) nor an anchor; following them must end (no cycle); `$dynamicRef`,
`$recursiveRef` and embedded `$id`s (which move the base references resolve against) are
refused; and the schema, with every reference expanded, stays under
`MAX_EXPANDED_SUBSCHEMAS`, so one `$ref` cannot stand for millions of checks.

The walk over-approximates (it treats every applicator as applying): it refuses, it never
judges a schema safe that is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

MAX_EXPANDED_SUBSCHEMAS = 500
"""Subschemas once every `$ref` is expanded: a form with a few dozen fields uses under 100.
The work of one check is at most this times the parameters' size (see bench_validation)."""
MAX_DEPTH = 64
"""Subschemas nested (and references followed) one in another."""

ONE_SCHEMA = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "contentSchema",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "dependencies", "$defs", "definitions"}
)
DEFINITIONS = frozenset({"$defs", "definitions"})
"""Only applied where referenced: walked for safety, not counted in place."""
REFUSED = {
    "$dynamicRef": "is not supported: use a local $ref",
    "$recursiveRef": "is not supported: use a local $ref",
}
KNOWN_DRAFTS = frozenset(
    {
        "http://json-schema.org/draft-04/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    }
)


class UnsafeSchema(Exception):
    """`keyword` at `path` (keys and indexes in the schema) makes the schema unsafe."""

    def __init__(self, keyword: str | None, path: list[str | int], reason: str) -> None:
        super().__init__(f"{keyword or 'the schema'} {reason}")
        self.keyword = keyword
        self.path = path
        self.reason = reason


def _pointer(path: list[str | int]) -> str:
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in path)


def _target(root: Any, reference: str) -> list[str | int] | None:
    """The path a local JSON-pointer reference names, if it names a schema in `root`."""
    if reference == "#":
        return []
    if not reference.startswith("#/"):
        return None
    node: Any = root
    path: list[str | int] = []
    for raw in unquote(reference[2:]).split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        step: str | int
        if isinstance(node, Mapping) and token in node:
            step = token
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            step = int(token)
        else:
            return None
        node = node[step]
        path.append(step)
    return path if isinstance(node, Mapping | bool) else None


class _Walk:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.draft4 = "draft-04" in str(root.get("$schema", ""))
        self.sizes: dict[str, int] = {}
        self.active: set[str] = set()
        self.references = 0

    def node(self, path: list[str | int]) -> Any:
        node: Any = self.root
        for step in path:
            node = node[step]
        return node

    def size(self, schema: Any, path: list[str | int], depth: int) -> int:
        """Subschemas `schema` stands for with its references expanded (memoised per place)."""
        if not isinstance(schema, Mapping):
            return 1
        where = _pointer(path)
        if where in self.sizes:
            return self.sizes[where]
        if where in self.active:
            raise UnsafeSchema("$ref", path, "leads back to where it started (a cycle)")
        if depth > MAX_DEPTH:
            raise UnsafeSchema("$ref", path, f"nests deeper than {MAX_DEPTH} subschemas")
        self.active.add(where)
        total = 1
        for keyword, value in schema.items():
            total += self.keyword(keyword, value, path, depth)
        self.active.discard(where)
        self.sizes[where] = total
        return total

    def keyword(self, keyword: str, value: Any, path: list[str | int], depth: int) -> int:
        here = [*path, keyword]
        if keyword in REFUSED:
            raise UnsafeSchema(keyword, here, REFUSED[keyword])
        embedded_id = keyword == "$id" or (keyword == "id" and self.draft4)
        if path and embedded_id and isinstance(value, str):
            raise UnsafeSchema(keyword, here, "is only allowed at the top of the schema")
        if keyword == "$ref" and isinstance(value, str):
            target = _target(self.root, value)
            if target is None:
                raise UnsafeSchema(
                    keyword,
                    here,
                    f"{value[:100]!r} is not local: only '#' or '#/...' pointing into this "
                    "schema (e.g. '#/$defs/name') is allowed; nothing is fetched",
                )
            self.references += 1
            return self.size(self.node(target), target, depth + 1)
        if keyword in ONE_SCHEMA and isinstance(value, Mapping | bool):
            return self.size(value, here, depth + 1)
        if keyword in SCHEMA_LISTS and isinstance(value, list):
            return sum(self.size(item, [*here, i], depth + 1) for i, item in enumerate(value))
        if keyword in SCHEMA_MAPS and isinstance(value, Mapping):
            sizes = sum(
                self.size(item, [*here, name], depth + 1)
                for name, item in value.items()
                if isinstance(item, Mapping | bool)
            )
            return 0 if keyword in DEFINITIONS else sizes
        return 0


def check_bounded(schema: Mapping[str, Any]) -> None:
    """Raise `UnsafeSchema` naming the keyword if `schema` is not safe to run."""
    declared = schema.get("$schema")
    if declared is not None and str(declared).rstrip("#") not in KNOWN_DRAFTS:
        raise UnsafeSchema(
            "$schema",
            ["$schema"],
            "names no known draft (nothing is fetched): use one of "
            + ", ".join(sorted(KNOWN_DRAFTS)),
        )
    walk = _Walk(schema)
    expanded = walk.size(schema, [], 0)
    if expanded > MAX_EXPANDED_SUBSCHEMAS:
        raise UnsafeSchema(
            "$ref" if walk.references else None,
            [],
            f"stands for {expanded} subschemas once expanded, more than {MAX_EXPANDED_SUBSCHEMAS}",
        )
