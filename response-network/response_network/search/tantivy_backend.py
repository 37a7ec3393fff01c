"""The embedded search backend: one tantivy index per directory, `<index>.tantivy/`.

Why tantivy: docs/search.md (measured by bench/bench_search.py). Every query is built from
`tantivy.Query` objects: each word of the user's text becomes a term query (a phrase query
when the tokenizer splits it, as `title:secret` or `1=1`), filters become term and range
queries on typed columns. The query parser never sees user text, so `*`, quotes, `AND`,
`field:value` are words like any other. The column layout is in `tantivy_layout.py`; the
`IndexSchema` is kept next to the index files in `airlock-index.json`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import structlog
import tantivy
from tantivy import FieldType, Occur, Query

from core.errors import Conflict, Invalid, NotFound, Unavailable
from response_network.search.documents import document_id
from response_network.search.query import (
    INDEX_PATTERN,
    IndexInfo,
    IndexSchema,
    Range,
    Scalar,
    SearchHit,
    SearchQuery,
    SearchResult,
    check_fields,
    words_of,
)
from response_network.search.tantivy_layout import (
    TOKENIZER,
    WORDS,
    build_schema,
    document_builder,
    iso_date,
    text_column,
    value_column,
)
from response_network.search.tantivy_order import window
from response_network.search.template import (
    Clause,
    Match,
    RangeOf,
    Term,
    check_template_fields,
    fields_of,
)

log = structlog.get_logger(__name__)

LOAD_CHUNK = 50_000
"""Documents per commit: a bad document stops the load, earlier chunks stay."""
WRITER_HEAP_BYTES = 64_000_000
SUFFIX = ".tantivy"
SCHEMA_FILE = "airlock-index.json"


@dataclass(frozen=True)
class _Opened:
    index: tantivy.Index
    schema: IndexSchema
    columns: tantivy.Schema
    """The tantivy schema (`tantivy_layout.build_schema(schema)`), for building queries."""


class TantivySearchBackend:
    """Tantivy indexes under `directory`. Opened indexes are kept until `close()`; their
    readers follow commits from other processes on their own, and `load` reloads them."""

    def __init__(self, *, directory: Path, timeout_seconds: float = 10.0) -> None:
        self.directory = directory
        self.timeout_seconds = timeout_seconds
        self._open_indexes: dict[str, _Opened] = {}

    async def create_index(self, *, schema: IndexSchema) -> bool:
        return await asyncio.to_thread(self._create_index, schema)

    async def load(self, *, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        return await asyncio.to_thread(self._load, index, documents)

    async def search(self, *, index: str, query: SearchQuery) -> SearchResult:
        # A tantivy search cannot be interrupted: past the timeout the caller gets its answer
        # and the thread finishes on its own.
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await asyncio.to_thread(self._search, index, query)
        except TimeoutError:
            log.warning("search_index_timed_out", index=index)
            raise Unavailable(
                "the search index did not answer in time", code="unavailable.search"
            ) from None

    async def search_structured(
        self, *, index: str, template: Clause | None, limit: int
    ) -> SearchResult:
        """A resolved search template (`search.template`): best match first when it
        matches text, else by id."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await asyncio.to_thread(self._search_structured, index, template, limit)
        except TimeoutError:
            log.warning("search_index_timed_out", index=index)
            raise Unavailable(
                "the search index did not answer in time", code="unavailable.search"
            ) from None

    async def indexes(self) -> list[IndexInfo]:
        return await asyncio.to_thread(self._indexes)

    async def close(self) -> None:
        self._open_indexes.clear()

    def _path(self, index: str) -> Path:
        if not re.fullmatch(INDEX_PATTERN, index):
            raise NotFound(f"no search index {index!r}", code="not_found.index")
        return self.directory / f"{index}{SUFFIX}"

    def _open(self, index: str) -> _Opened:
        if index in self._open_indexes:
            return self._open_indexes[index]
        path = self._path(index)
        if not (path / SCHEMA_FILE).is_file():
            hint = ""
            if (self.directory / f"{index}.sqlite3").is_file():
                hint = " (an FTS5 index of that name exists: SEARCH_BACKEND=sqlite reads it)"
            raise NotFound(f"no search index {index!r}{hint}", code="not_found.index")
        try:
            schema = IndexSchema.model_validate_json((path / SCHEMA_FILE).read_bytes())
            opened = tantivy.Index.open(str(path))
        except (OSError, ValueError) as exc:
            log.warning("search_index_unreadable", index=index, error=str(exc))
            raise Unavailable(
                "the search index cannot be opened", code="unavailable.search"
            ) from exc
        opened.register_tokenizer(TOKENIZER, WORDS)
        self._open_indexes[index] = _Opened(opened, schema, opened.schema)
        return self._open_indexes[index]

    def _create_index(self, schema: IndexSchema) -> bool:
        path = self._path(schema.name)
        if path.exists():
            if self._open(schema.name).schema != schema:
                raise Conflict(
                    f"index {schema.name!r} exists with other fields", code="conflict.index_schema"
                )
            return False
        partial = self.directory / f"{schema.name}{SUFFIX}-creating"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        tantivy.Index(build_schema(schema), path=str(partial), reuse=False)
        (partial / SCHEMA_FILE).write_text(schema.model_dump_json())
        partial.rename(path)
        log.info("search_index_created", index=schema.name, text_fields=schema.text_fields)
        return True

    def _load(self, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        """Upserts (delete by id, add) committed every LOAD_CHUNK documents; documents are
        drawn from `documents` as they are indexed, so a caller can show progress."""
        opened = self._open(index)
        try:
            writer = opened.index.writer(heap_size=WRITER_HEAP_BYTES)
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise Unavailable(
                    "the search index cannot be written", code="unavailable.search"
                ) from exc
            raise Conflict(
                f"index {index!r} is being loaded by another process", code="conflict.index_busy"
            ) from exc
        build = document_builder(opened.schema)
        written = 0
        try:
            for number, document in enumerate(documents, start=1):
                id_ = document_id(number, document)
                writer.delete_documents_by_term("id", id_)
                writer.add_document(build(id_, document))
                written += 1
                if written % LOAD_CHUNK == 0:
                    writer.commit()
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # releases the writer's lock
            opened.index.reload()
        log.info("search_index_loaded", index=index, documents=written)
        return written

    def _search(self, index: str, query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        opened = self._open(index)
        check_fields(opened.schema, query)
        plan = _query(opened.schema, opened.columns, query)
        if plan is None:
            return SearchResult(total=0, took_ms=_since(started))
        searcher = opened.index.searcher()
        try:
            total, found = window(searcher, opened.schema, opened.columns, query, plan)
            hits = [_hit(searcher, address, score) for score, address in found]
        except ValueError as exc:
            log.warning("search_index_failed", index=index, error=str(exc))
            raise Unavailable("the search index failed", code="unavailable.search") from exc
        return SearchResult(total=total, hits=hits, took_ms=_since(started))

    def _search_structured(self, index: str, template: Clause | None, limit: int) -> SearchResult:
        started = time.perf_counter()
        opened = self._open(index)
        check_template_fields(opened.schema, template)
        plan = template_query(opened.schema, opened.columns, template)
        # `window` orders by score when the query has text, by id otherwise.
        order = SearchQuery(text="" if fields_of(template)[0] else None, limit=limit)
        searcher = opened.index.searcher()
        try:
            total, found = window(searcher, opened.schema, opened.columns, order, plan)
            hits = [_hit(searcher, address, score) for score, address in found]
        except ValueError as exc:
            log.warning("search_index_failed", index=index, error=str(exc))
            raise Unavailable("the search index failed", code="unavailable.search") from exc
        return SearchResult(total=total, hits=hits, took_ms=_since(started))

    def _indexes(self) -> list[IndexInfo]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            opened = self._open(path.name.removesuffix(SUFFIX))
            documents = opened.index.searcher().num_docs
            found.append(
                IndexInfo(name=opened.schema.name, documents=documents, schema=opened.schema)
            )
        return found


def _query(schema: IndexSchema, columns: tantivy.Schema, query: SearchQuery) -> Query | None:
    """The tantivy query for `query`; None when nothing can match (text without words)."""
    clauses: list[tuple[Occur, Query]] = []
    if query.text is not None:
        words = _text_clauses(schema, columns, query)
        if not words:
            return None
        clauses += [(Occur.Must, word) for word in words]
    filters = [_term(schema, columns, field, value) for field, value in query.terms.items()]
    for field, bounds in query.ranges.items():
        filters += _range(schema, columns, field, bounds)
    # Filters must not change the ranking: with a score of 0 only the text counts.
    clauses += [(Occur.Must, Query.const_score_query(clause, 0.0)) for clause in filters]
    return Query.boolean_query(clauses) if clauses else Query.all_query()


def _text_clauses(schema: IndexSchema, columns: tantivy.Schema, query: SearchQuery) -> list[Query]:
    """One clause per word, each matching in any of the text fields. A word the tokenizer
    splits (`title:secret`, `1=1`) must match as a phrase; one it drops entirely (`_`) is
    left out, as FTS5 does."""
    fields = [text_column(schema, field) for field in query.text_fields or schema.text_fields]
    clauses = []
    for word in words_of(query.text or ""):
        per_field = [found for field in fields if (found := _word(columns, field, word))]
        if not per_field:
            continue
        clauses.append(
            per_field[0]
            if len(per_field) == 1
            else Query.boolean_query([(Occur.Should, clause) for clause in per_field])
        )
    return clauses


def _word(columns: tantivy.Schema, column: str, word: str) -> Query | None:
    """The word as a term, or a phrase when the tokenizer splits it; None when it drops it."""
    tokens = WORDS.analyze(word)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Query.term_query(columns, column, tokens[0])
    return Query.phrase_query(columns, column, list(tokens))


def template_query(schema: IndexSchema, columns: tantivy.Schema, clause: Clause | None) -> Query:
    """A resolved template as tantivy `Query` objects: values are terms and bounds, never
    parsed. Only `match` scores; `should` needs one match; `must_not` alone excludes from
    every document. A `match` without words matches nothing, as in `search`."""
    if clause is None:
        return Query.all_query()
    if isinstance(clause, Match):
        words = [
            _word(columns, text_column(schema, clause.field), w) for w in words_of(clause.text)
        ]
        kept = [(Occur.Must, word) for word in words if word is not None]
        return Query.boolean_query(kept)  # empty: matches nothing
    if isinstance(clause, Term):
        return Query.const_score_query(_term(schema, columns, clause.field, clause.value), 0.0)
    if isinstance(clause, RangeOf):
        bounds = _range(schema, columns, clause.field, Range.model_validate(clause.bounds))
        return Query.const_score_query(
            Query.boolean_query([(Occur.Must, bound) for bound in bounds]), 0.0
        )
    parts = [(Occur.Must, template_query(schema, columns, child)) for child in clause.must]
    if clause.should:
        either = [(Occur.Should, template_query(schema, columns, c)) for c in clause.should]
        parts.append((Occur.Must, Query.boolean_query(either)))
    if not parts:
        parts.append((Occur.Must, Query.all_query()))
    parts += [(Occur.MustNot, template_query(schema, columns, c)) for c in clause.must_not]
    return Query.boolean_query(parts)


def _term(schema: IndexSchema, columns: tantivy.Schema, field: str, value: Scalar) -> Query:
    if isinstance(value, bool):
        return Query.term_query(columns, value_column(schema, field, "bool"), value)
    if isinstance(value, int | float):
        return Query.term_query(columns, value_column(schema, field, "num"), float(value))
    return Query.term_query(columns, value_column(schema, field, "str"), value)


def _range(schema: IndexSchema, columns: tantivy.Schema, field: str, bounds: Range) -> list[Query]:
    """One half-open range per bound, on the numbers or on the dates: tantivy compares
    neither text nor booleans by range, so other bounds are refused."""
    clauses = []
    for operator, value in bounds.bounds().items():
        bound: float | datetime
        if isinstance(value, int | float) and not isinstance(value, bool):
            column, kind, bound = value_column(schema, field, "num"), FieldType.Float, float(value)
        elif isinstance(value, str) and (moment := iso_date(value)) is not None:
            column, kind, bound = value_column(schema, field, "date"), FieldType.Date, moment
        else:
            raise Invalid(
                f"{field}: a range compares numbers or ISO 8601 dates, not {value!r}",
                code="invalid.search_query",
            )
        lower = operator in ("gt", "gte")
        clauses.append(
            Query.range_query(
                columns,
                column,
                kind,
                lower_bound=bound if lower else None,
                upper_bound=None if lower else bound,
                # tantivy wants the open side of a half-open range marked inclusive
                include_lower=operator == "gte" or not lower,
                include_upper=operator == "lte" or lower,
            )
        )
    return clauses


def _hit(searcher: tantivy.Searcher, address: tantivy.DocAddress, score: float | None) -> SearchHit:
    document = searcher.doc(address)
    source = document.get_first("source")
    assert isinstance(source, bytes)  # every document is written with its source
    return SearchHit(id=str(document.get_first("id")), score=score, source=orjson.loads(source))


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
