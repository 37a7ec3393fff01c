"""Documents from JSON Lines files, read one line at a time so any file size loads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from core.errors import Invalid


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
