"""What a search asks and answers, as data: user text is only ever a value, never query syntax.

A `SearchQuery` is structured (text to match, term and range filters, sort keys, a window);
each backend turns it into its own query with the text and values bound, never pasted.
`plan_search` builds one from a caller's allow-lists (a request type's handler settings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypedDict

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from core.errors import Invalid

MAX_WINDOW = 10_000
"""Deepest hit a query may reach (offset + limit); Elasticsearch's default result window."""
MAX_TEXT_LENGTH = 1_000

FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$"
INDEX_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

FieldName = Annotated[str, Field(pattern=FIELD_PATTERN)]
IndexName = Annotated[str, Field(pattern=INDEX_PATTERN)]
Scalar = StrictStr | StrictBool | StrictInt | StrictFloat
"""Filter values are plain JSON scalars: a dict or list (query DSL) is refused."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexSchema(_Model):
    """What an index holds: the fields searched as text, and those filters and sorts may use."""

    name: IndexName
    text_fields: tuple[FieldName, ...] = Field(min_length=1, max_length=32)
    filter_fields: tuple[FieldName, ...] = Field(default=(), max_length=64)
    sort_fields: tuple[FieldName, ...] = Field(default=(), max_length=64)


class Range(_Model):
    gte: Scalar | None = None
    gt: Scalar | None = None
    lte: Scalar | None = None
    lt: Scalar | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Range:
        if not self.bounds():
            raise ValueError("a range needs at least one of gte, gt, lte, lt")
        return self

    def bounds(self) -> dict[str, Scalar]:
        """The bounds that are set, keyed by their operator name (`gte`, `lt`, ...)."""
        return {op: value for op, value in self.model_dump().items() if value is not None}


class SortKey(_Model):
    field: FieldName
    direction: Literal["asc", "desc"] = "asc"


class SearchQuery(_Model):
    """One search. `text=None` filters only; text with no words in it matches nothing."""

    text: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    text_fields: tuple[FieldName, ...] = ()
    """Fields the text must match in; empty means every text field of the index."""
    terms: dict[FieldName, Scalar] = Field(default_factory=dict)
    ranges: dict[FieldName, Range] = Field(default_factory=dict)
    sort: tuple[SortKey, ...] = Field(default=(), max_length=4)
    """Empty: best match first (text) or by id (filters only)."""
    limit: int = Field(default=10, ge=0, le=MAX_WINDOW)
    offset: int = Field(default=0, ge=0, le=MAX_WINDOW)

    @model_validator(mode="after")
    def _inside_window(self) -> SearchQuery:
        if self.offset + self.limit > MAX_WINDOW:
            raise ValueError(f"offset + limit must not exceed {MAX_WINDOW}")
        return self

    def filter_fields(self) -> set[str]:
        return set(self.terms) | set(self.ranges)


class SearchPolicy(_Model):
    """What a caller lets parameters touch: the fields, the sorts, and how many hits at most."""

    text_fields: tuple[FieldName, ...] = ()
    filter_fields: frozenset[FieldName] = frozenset()
    sort_fields: frozenset[FieldName] = frozenset()
    max_results: int = Field(default=100, ge=1, le=MAX_WINDOW)


def plan_search(
    *,
    policy: SearchPolicy,
    text: str | None = None,
    terms: dict[str, Any] | None = None,
    ranges: dict[str, Any] | None = None,
    sort: list[dict[str, Any]] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> SearchQuery:
    """A query whose filters and sorts stay inside `policy` and whose limit is capped by it.

    Raises `Invalid` (`invalid.search_field` for a field outside the allow-lists,
    `invalid.search_query` for a malformed part), never a validation traceback.
    """
    refused = sorted((set(terms or {}) | set(ranges or {})) - policy.filter_fields)
    if refused:
        raise Invalid(f"not a filterable field: {', '.join(refused)}", code="invalid.search_field")
    try:
        keys = tuple(SortKey.model_validate(key) for key in sort or ())
        unsortable = sorted({key.field for key in keys} - policy.sort_fields)
        if unsortable:
            raise Invalid(
                f"not a sortable field: {', '.join(unsortable)}", code="invalid.search_field"
            )
        wanted = policy.max_results if limit is None else limit
        return SearchQuery(
            text=text,
            text_fields=policy.text_fields,
            terms=terms or {},
            ranges=ranges or {},
            sort=keys,
            limit=max(0, min(wanted, policy.max_results)),
            offset=offset,
        )
    except ValidationError as exc:
        raise Invalid(_first_problem(exc), code="invalid.search_query") from None


def words_of(text: str) -> list[str]:
    """The whitespace-separated words of `text` that hold a letter or digit; both embedded
    backends require every one of them (AND), and text without any matches nothing."""
    return [word for word in text.split() if re.search(r"\w", word)]


def check_fields(schema: IndexSchema, query: SearchQuery) -> None:
    """Refuse (`invalid.search_field`) a filter, sort or text field the index does not allow."""
    refused = sorted(
        (query.filter_fields() - set(schema.filter_fields))
        | ({key.field for key in query.sort} - set(schema.sort_fields))
        | (set(query.text_fields) - set(schema.text_fields))
    )
    if refused:
        raise Invalid(
            f"index {schema.name!r} does not allow: {', '.join(refused)}",
            code="invalid.search_field",
        )


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "query"
    return f"{where}: {error['msg']}"


class SearchHit(TypedDict):
    id: str
    score: float | None
    source: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    total: int
    """Every document that matches, not only the ones in `hits`."""
    hits: list[SearchHit] = field(default_factory=list)
    took_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class IndexInfo:
    name: str
    documents: int
    schema: IndexSchema | None = None
    """Known for embedded indexes; an Elasticsearch index's mapping belongs to the cluster."""
