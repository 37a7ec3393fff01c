"""Documents from JSON Lines files, read one line at a time so any file size loads, and the
`id` rule every embedded index applies to what it loads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from core.errors import Invalid

MAX_ID_LENGTH = 512


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line's object; a line that is not a JSON object stops with `Invalid`."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise Invalid(
                    f"{path.name} line {number} is not JSON", code="invalid.search_document"
                ) from None
            if not isinstance(document, dict):
                raise Invalid(
                    f"{path.name} line {number} is not an object", code="invalid.search_document"
                )
            yield document


def document_id(number: int, document: object) -> str:
    """The `id` of the `number`th document loaded (a string or an integer, kept as text);
    anything else stops the load with `Invalid` (`invalid.search_document`)."""
    if not isinstance(document, Mapping):
        raise Invalid(f"document {number} is not an object", code="invalid.search_document")
    id_ = document.get("id")
    if isinstance(id_, bool) or not isinstance(id_, str | int) or not str(id_):
        raise Invalid(
            f"document {number} needs an `id` (a string or an integer)",
            code="invalid.search_document",
        )
    if len(str(id_)) > MAX_ID_LENGTH:
        raise Invalid(f"document {number}: `id` is too long", code="invalid.search_document")
    return str(id_)
