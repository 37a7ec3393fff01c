"""An answer as the console shows it: a table when it holds a list of records, else pretty JSON
or text; and the same answer as a CSV download.

Records are recognised in the shapes the handlers answer: a list of objects (an operator's
answer), `{"columns": [...], "rows": [[...], ...]}` (the `sql` handler) and `{"hits": [...]}`
(the search handlers).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

MAX_TABLE_ROWS = 1000
"""Rows drawn on the page; the downloads carry them all."""


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    total: int


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _objects(value: Any) -> list[dict[str, Any]] | None:
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
        return value
    return None


def records_of(body: Any) -> list[dict[str, Any]] | None:
    """The answer's records, or None when it holds none."""
    if not isinstance(body, dict):
        return _objects(body)
    columns, rows = body.get("columns"), body.get("rows")
    if (
        isinstance(columns, list)
        and isinstance(rows, list)
        and rows
        and all(isinstance(row, list) and len(row) == len(columns) for row in rows)
    ):
        names = [str(column) for column in columns]
        return [dict(zip(names, row, strict=True)) for row in rows]
    return _objects(body.get("hits"))


def columns_of(records: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in records:
        columns.update(dict.fromkeys(row))
    return list(columns)


def table_of(body: Any) -> Table | None:
    """The answer as a table, if it is a list of records (objects)."""
    records = records_of(body)
    if records is None:
        return None
    columns = columns_of(records)
    rows = [[_cell(row.get(c, "")) for c in columns] for row in records[:MAX_TABLE_ROWS]]
    return Table(columns, rows, len(records))


def pretty(body: Any) -> str:
    if isinstance(body, str):
        return body
    return json.dumps(body, indent=2, ensure_ascii=False)


def csv_of(body: Any) -> str:
    """Records as rows under a header; any other answer as one `answer` column."""
    out = io.StringIO()
    writer = csv.writer(out)
    records = records_of(body)
    if records is None:
        writer.writerow(["answer"])
        writer.writerow([pretty(body)])
        return out.getvalue()
    columns = columns_of(records)
    writer.writerow(columns)
    for row in records:
        writer.writerow([_cell(row.get(c, "")) for c in columns])
    return out.getvalue()
