"""The `sqlite` search backend: one SQLite file per index, FTS5 for text, JSON for the rest.

The embedded default is tantivy (`tantivy_backend.py`; docs/search.md has the measurement);
this backend stays selectable (`SEARCH_BACKEND=sqlite`) because it needs nothing but SQLite
and one file per index is easy to copy. The file holds `index_meta` (the schema as JSON),
`document` (id + the JSON document) and `document_text`, an FTS5 table over the schema's text
fields kept in step by triggers, so an upsert is one statement. User text reaches FTS5 only as
quoted string literals, bound as a parameter; filter values are bound parameters too. Field
names come from the validated schema.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import orjson
import structlog

from core.errors import Conflict, NotFound, Unavailable
from response_network.search.documents import document_id
from response_network.search.query import (
    INDEX_PATTERN,
    IndexInfo,
    IndexSchema,
    SearchHit,
    SearchQuery,
    SearchResult,
    check_fields,
    words_of,
)
from response_network.search.template import (
    Clause,
    Match,
    RangeOf,
    Term,
    check_template_fields,
)

log = structlog.get_logger(__name__)

LOAD_CHUNK = 5_000
SUFFIX = ".sqlite3"
TOKENIZER = "unicode61 remove_diacritics 2"

ResultT = TypeVar("ResultT")


def fts5_match(text: str, *, columns: Iterable[str] = ()) -> str | None:
    """An FTS5 query in which every whitespace-separated word of `text` is a quoted string.

    Quoting (inner quotes doubled) makes `*`, `NEAR`, `OR`, `:`, `-` and parentheses plain
    characters that the tokenizer then drops or indexes like any text; words are ANDed.
    None when `text` has no word at all: such a search matches nothing.
    """
    words = words_of(text)
    if not words:
        return None
    phrases = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    names = list(columns)
    return f"{{{' '.join(names)}}} : ({phrases})" if names else phrases


def _path(field: str) -> str:
    """A JSON path literal for a schema field; field names were checked against FIELD_PATTERN."""
    return f"'$.{field}'"


def _value(field: str) -> str:
    return f"json_extract(d.body, {_path(field)})"


class Fts5SearchBackend:
    """SQLite FTS5 indexes under `directory`. Every SQLite call runs in a worker thread."""

    def __init__(self, *, directory: Path, timeout_seconds: float = 10.0) -> None:
        self.directory = directory
        self.timeout_seconds = timeout_seconds

    async def create_index(self, *, schema: IndexSchema) -> bool:
        return await asyncio.to_thread(self._create_index, schema)

    async def load(self, *, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        return await asyncio.to_thread(self._load, index, documents)

    async def search(self, *, index: str, query: SearchQuery) -> SearchResult:
        return await asyncio.to_thread(self._search, index, query)

    async def search_structured(
        self, *, index: str, template: Clause | None, limit: int
    ) -> SearchResult:
        """A resolved search template (`search.template`), hits by id, without scores."""
        return await asyncio.to_thread(self._search_structured, index, template, limit)

    async def indexes(self) -> list[IndexInfo]:
        return await asyncio.to_thread(self._indexes)

    async def close(self) -> None:
        """Nothing to release: each call opens and closes its own connection."""

    def _file(self, index: str) -> Path:
        if not re.fullmatch(INDEX_PATTERN, index):
            raise NotFound(f"no search index {index!r}", code="not_found.index")
        return self.directory / f"{index}{SUFFIX}"

    @contextmanager
    def _open(self, index: str, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        path = self._file(index)
        if not path.exists():
            raise NotFound(f"no search index {index!r}", code="not_found.index")
        uri = path.resolve().as_uri() + ("" if write else "?mode=ro")
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=self.timeout_seconds)
        except sqlite3.Error as exc:
            raise Unavailable(
                "the search index cannot be opened", code="unavailable.search"
            ) from exc
        with closing(connection):
            try:
                yield connection
            except sqlite3.OperationalError as exc:
                log.warning("search_index_failed", index=index, error=str(exc))
                raise Unavailable(
                    "the search index did not answer in time", code="unavailable.search"
                ) from exc

    def _schema(self, connection: sqlite3.Connection) -> IndexSchema:
        row = connection.execute("SELECT value FROM index_meta WHERE key = 'schema'").fetchone()
        return IndexSchema.model_validate_json(row[0])

    def _create_index(self, schema: IndexSchema) -> bool:
        path = self._file(schema.name)
        if path.exists():
            with self._open(schema.name) as connection:
                existing = self._schema(connection)
            if existing != schema:
                raise Conflict(
                    f"index {schema.name!r} exists with other fields", code="conflict.index_schema"
                )
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".creating")
        partial.unlink(missing_ok=True)
        with closing(sqlite3.connect(partial)) as connection:
            connection.executescript(_ddl(schema))
            connection.execute(
                "INSERT INTO index_meta (key, value) VALUES ('schema', ?)",
                (schema.model_dump_json(),),
            )
            connection.commit()
        partial.rename(path)
        log.info("search_index_created", index=schema.name, text_fields=schema.text_fields)
        return True

    def _load(self, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        """Upserts in transactions of LOAD_CHUNK; a bad document stops the load, earlier
        chunks stay (loading is idempotent: run it again once the file is fixed)."""
        written = 0
        with self._open(index, write=True) as connection:
            connection.execute("PRAGMA synchronous = NORMAL")
            rows = _rows(documents)
            while chunk := list(islice(rows, LOAD_CHUNK)):
                with connection:
                    connection.executemany(
                        "INSERT INTO document (id, body) VALUES (?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                        chunk,
                    )
                written += len(chunk)
        log.info("search_index_loaded", index=index, documents=written)
        return written

    def _search(self, index: str, query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        with self._open(index) as connection:
            schema = self._schema(connection)
            check_fields(schema, query)
            _interrupt_after(connection, self.timeout_seconds)
            plan = _plan(schema, query)
            if plan is None:
                return SearchResult(total=0, took_ms=_since(started))
            source, where, params, order = plan
            total = connection.execute(f"SELECT count(*) FROM {source}{where}", params).fetchone()
            rows = connection.execute(
                f"SELECT d.id, d.body, {'-bm25(document_text)' if query.text else 'NULL'} "
                f"FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        hits = [
            SearchHit(id=id_, score=score, source=orjson.loads(body)) for id_, body, score in rows
        ]
        return SearchResult(total=total[0], hits=hits, took_ms=_since(started))

    def _search_structured(self, index: str, template: Clause | None, limit: int) -> SearchResult:
        started = time.perf_counter()
        with self._open(index) as connection:
            schema = self._schema(connection)
            check_template_fields(schema, template)
            _interrupt_after(connection, self.timeout_seconds)
            where, params = template_where(schema, template)
            source = f"document AS d WHERE {where}"
            total = connection.execute(f"SELECT count(*) FROM {source}", params).fetchone()
            rows = connection.execute(
                f"SELECT d.id, d.body FROM {source} ORDER BY d.id LIMIT ?", [*params, limit]
            ).fetchall()
        hits = [SearchHit(id=id_, score=None, source=orjson.loads(body)) for id_, body in rows]
        return SearchResult(total=total[0], hits=hits, took_ms=_since(started))

    def _indexes(self) -> list[IndexInfo]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            with self._open(path.name.removesuffix(SUFFIX)) as connection:
                count = connection.execute("SELECT count(*) FROM document").fetchone()[0]
                found.append(
                    IndexInfo(name=path.stem, documents=count, schema=self._schema(connection))
                )
        return found


def _ddl(schema: IndexSchema) -> str:
    columns = [f"c{n}" for n in range(len(schema.text_fields))]
    texts = ", ".join(f"json_extract(new.body, {_path(f)})" for f in schema.text_fields)
    insert = f"INSERT INTO document_text (rowid, {', '.join(columns)}) VALUES (new.rowid, {texts});"
    delete = "DELETE FROM document_text WHERE rowid = old.rowid;"
    indexed = dict.fromkeys([*schema.filter_fields, *schema.sort_fields])
    field_indexes = "\n".join(
        f"CREATE INDEX ix_document_f{n} ON document (json_extract(body, {_path(f)}));"
        for n, f in enumerate(indexed)
    )
    return f"""
        PRAGMA journal_mode = WAL;
        CREATE TABLE index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE document (
            rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL
        );
        CREATE VIRTUAL TABLE document_text
            USING fts5 ({", ".join(columns)}, tokenize = '{TOKENIZER}');
        CREATE TRIGGER document_inserted AFTER INSERT ON document BEGIN {insert} END;
        CREATE TRIGGER document_updated AFTER UPDATE ON document BEGIN {delete} {insert} END;
        CREATE TRIGGER document_deleted AFTER DELETE ON document BEGIN {delete} END;
        {field_indexes}
    """


def _rows(documents: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, bytes]]:
    for number, document in enumerate(documents, start=1):
        yield document_id(number, document), orjson.dumps(dict(document))


def _plan(schema: IndexSchema, query: SearchQuery) -> tuple[str, str, list[Any], str] | None:
    """FROM, WHERE (with its bound parameters) and ORDER BY; None when nothing can match."""
    clauses: list[str] = []
    params: list[Any] = []
    source = "document AS d"
    order = [f"{_value(key.field)} {key.direction.upper()}" for key in query.sort]
    if query.text is not None:
        columns = [f"c{schema.text_fields.index(f)}" for f in query.text_fields]
        match = fts5_match(query.text, columns=columns)
        if match is None:
            return None
        source = "document_text JOIN document AS d ON d.rowid = document_text.rowid"
        clauses.append("document_text MATCH ?")
        params.append(match)
        order.append("bm25(document_text)")
    # With text, FTS5 must drive the plan: unary + keeps SQLite off the field indexes, which
    # would otherwise re-run the MATCH once per filtered row (10x slower, bench_search.py).
    unindexed = "+" if query.text is not None else ""
    for field, value in query.terms.items():
        clauses.append(f"{unindexed}{_value(field)} = ?")
        params.append(value)
    operators = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
    for field, bounds in query.ranges.items():
        for name, value in bounds.bounds().items():
            clauses.append(f"{unindexed}{_value(field)} {operators[name]} ?")
            params.append(value)
    order.append("d.id")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return source, where, params, ", ".join(order)


_OPERATORS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def template_where(schema: IndexSchema, clause: Clause | None) -> tuple[str, list[Any]]:
    """A resolved template as a WHERE condition over `document AS d` and its bound values:
    field names come from the checked template, every value is a `?`; match text reaches
    FTS5 only through `fts5_match` (quoted words). A `match` without words matches nothing."""
    if clause is None:
        return "1", []
    if isinstance(clause, Match):
        match = fts5_match(clause.text, columns=[f"c{schema.text_fields.index(clause.field)}"])
        if match is None:
            return "0", []
        text = "d.rowid IN (SELECT rowid FROM document_text WHERE document_text MATCH ?)"
        return text, [match]
    if isinstance(clause, Term):
        return f"{_value(clause.field)} = ?", [clause.value]
    if isinstance(clause, RangeOf):
        parts = [f"{_value(clause.field)} {_OPERATORS[op]} ?" for op in clause.bounds]
        return "(" + " AND ".join(parts) + ")", list(clause.bounds.values())
    conditions: list[str] = []
    params: list[Any] = []
    for occur, joiner, negate in (("must", " AND ", False), ("should", " OR ", False),
                                  ("must_not", " OR ", True)):  # fmt: skip
        children = [template_where(schema, child) for child in getattr(clause, occur)]
        if children:
            joined = "(" + joiner.join(f"({text})" for text, _ in children) + ")"
            conditions.append(f"NOT {joined}" if negate else joined)
            params += [value for _, values in children for value in values]
    return " AND ".join(conditions) or "1", params


def _interrupt_after(connection: sqlite3.Connection, seconds: float) -> None:
    """Abort a runaway statement (it raises OperationalError, reported as unavailable)."""
    deadline = time.monotonic() + seconds

    def past_deadline() -> int:
        return int(time.monotonic() > deadline)

    connection.set_progress_handler(past_deadline, 10_000)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
