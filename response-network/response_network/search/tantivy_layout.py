"""How an `IndexSchema` becomes a tantivy schema, and a JSON document a tantivy document.

Columns (tantivy field names are positional, so any schema field name fits):

- `id`: the document's id, untokenized, stored and fast (upserts delete by it; filter-only
  hits are ordered by it).
- `source`: the document as loaded, JSON bytes, stored only: hits return it unchanged.
- `text<n>`: the schema's n-th text field, tokenized (`WORDS`), with positions for phrases.
- `f<n>_num`, `f<n>_str`, `f<n>_bool`, `f<n>_date`: the n-th filter or sort field, one
  column per JSON type. A value lands in the column of its type, so a term filter matches
  values of its own type only (1990 is not "1990"), as in the sqlite backend. Integers and
  floats share `_num` (float64); a string that is an ISO 8601 date also lands in `_date`,
  which range filters with date bounds use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import tantivy

from response_network.search.query import IndexSchema

ValueKind = Literal["num", "str", "bool", "date"]

TOKENIZER = "airlock_words"
WORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(100))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
"""Split on anything but letters and digits, lowercase, fold diacritics: what the sqlite
backend's `unicode61 remove_diacritics 2` does. Documents and query words both go through it."""

ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)


def value_fields(schema: IndexSchema) -> dict[str, int]:
    """Each filter or sort field and its column number."""
    fields = dict.fromkeys([*schema.filter_fields, *schema.sort_fields])
    return {field: number for number, field in enumerate(fields)}


def text_column(schema: IndexSchema, field: str) -> str:
    return f"text{schema.text_fields.index(field)}"


def value_column(schema: IndexSchema, field: str, kind: ValueKind) -> str:
    return f"f{value_fields(schema)[field]}_{kind}"


def build_schema(schema: IndexSchema) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("source", stored=True)
    for number in range(len(schema.text_fields)):
        builder.add_text_field(f"text{number}", tokenizer_name=TOKENIZER)
    for number in value_fields(schema).values():
        builder.add_float_field(f"f{number}_num", indexed=True, fast=True)
        builder.add_text_field(
            f"f{number}_str", fast=True, tokenizer_name="raw", index_option="basic"
        )
        builder.add_boolean_field(f"f{number}_bool", indexed=True, fast=True)
        builder.add_date_field(f"f{number}_date", indexed=True, fast=True)
    return builder.build()


def document_builder(schema: IndexSchema) -> Callable[[str, Mapping[str, Any]], tantivy.Document]:
    """A function making the tantivy document for a JSON document of this schema. Values of
    other types than the columns take (lists, objects) stay in `source` but match no filter,
    as in the sqlite backend."""
    texts = [(f"text{n}", field.split(".")) for n, field in enumerate(schema.text_fields)]
    values = [(f"f{n}", field.split(".")) for field, n in value_fields(schema).items()]

    def build(id_: str, document: Mapping[str, Any]) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", id_)
        doc.add_bytes(
            "source", orjson.dumps(document if isinstance(document, dict) else dict(document))
        )
        for column, path in texts:
            value = _lookup(document, path)
            if value is not None:
                doc.add_text(column, value if isinstance(value, str) else _json(value))
        for column, path in values:
            value = _lookup(document, path)
            if isinstance(value, bool):
                doc.add_boolean(f"{column}_bool", value)
            elif isinstance(value, int | float):
                doc.add_float(f"{column}_num", float(value))
            elif isinstance(value, str):
                doc.add_text(f"{column}_str", value)
                if (moment := iso_date(value)) is not None:
                    doc.add_date(f"{column}_date", moment)
        return doc

    return build


def _lookup(document: Mapping[str, Any], path: list[str]) -> Any:
    """The value at a dotted field name's path, None where the path ends early."""
    value: Any = document
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def iso_date(text: str) -> datetime | None:
    """`text` as a UTC datetime if it is an ISO 8601 date or date-time (no zone: UTC)."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
