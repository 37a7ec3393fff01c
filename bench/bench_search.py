"""Embedded search: load rate and query latency of SQLite FTS5 (and tantivy, if importable),
against a plain `LIKE '%term%'` scan over the same documents in the same run.

    .venv/bin/python -m bench.bench_search [--documents 100000] [--queries 200]

tantivy is not a project dependency; to compare it, run this module with a Python that has
both the project and `tantivy` importable (docs/search.md says how it was measured).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from response_network.search.embedded import EmbeddedSearchBackend
from response_network.search.query import IndexSchema, SearchQuery

WORDS = [
    "pump",
    "valve",
    "generator",
    "radio",
    "sensor",
    "truck",
    "press",
    "kit",
    "harbour",
    "depot",
    "ridge",
    "yard",
    "diesel",
    "portable",
    "standby",
    "rugged",
    "compact",
    "modular",
    "cold",
    "salt",
    "quiet",
    "heavy",
    "light",
    "water",
    "fuel",
    "power",
    "river",
    "road",
    "repair",
    "emergency",
    "remote",
    "flood",
    "calibration",
    "bench",
    "steel",
    "copper",
    "brass",
    "rubber",
    "seal",
    "gasket",
    "filter",
    "motor",
    "battery",
    "cable",
    "antenna",
]
VOCABULARY = [*WORDS, *(f"w{n}" for n in range(20_000))]
ZIPF = list(accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))
"""Word frequencies fall off like natural text: a few common words, a long tail."""
CATEGORIES = ["pump", "valve", "generator", "radio", "sensor", "vehicle", "tool", "medical"]
SCHEMA = IndexSchema(
    name="bench",
    text_fields=("title", "body"),
    filter_fields=("category", "year"),
    sort_fields=("year",),
)


def synthetic(count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(42)
    for n in range(count):
        yield {
            "id": f"d{n}",
            "title": " ".join(rng.choices(WORDS, k=4)) + f" unit{n % 997}",
            "body": " ".join(rng.choices(VOCABULARY, cum_weights=ZIPF, k=40)),
            "category": rng.choice(CATEGORIES),
            "year": rng.randint(1980, 2025),
        }


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94]


def timed(run: Callable[[str], object], terms: list[str]) -> tuple[float, float]:
    samples = []
    for term in terms:
        started = time.perf_counter()
        run(term)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def bench_fts5(directory: Path, count: int, terms: list[str]) -> dict[str, Any]:
    backend = EmbeddedSearchBackend(directory=directory)
    asyncio.run(backend.create_index(schema=SCHEMA))
    started = time.perf_counter()
    asyncio.run(backend.load(index="bench", documents=synthetic(count)))
    load_s = time.perf_counter() - started

    def text(term: str) -> object:
        return backend._search("bench", SearchQuery(text=term, limit=10))

    def text_filter(term: str) -> object:
        query = SearchQuery(text=term, terms={"category": "radio"}, ranges={"year": {"gte": 2000}})
        return backend._search("bench", query)

    return {
        "docs_s": count / load_s,
        "text": timed(text, terms),
        "filter": timed(text_filter, terms),
    }


def bench_like(directory: Path, count: int, terms: list[str]) -> dict[str, Any]:
    """The baseline: the documents in a plain table, searched with LIKE (a full scan)."""
    connection = sqlite3.connect(directory / "like.sqlite3")
    connection.execute(
        "CREATE TABLE doc (id TEXT PRIMARY KEY, title TEXT, body TEXT, category TEXT, year INT)"
    )
    started = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO doc VALUES (:id, :title, :body, :category, :year)", synthetic(count)
        )
    load_s = time.perf_counter() - started

    def text(term: str) -> object:
        pattern = f"%{term}%"
        where = "(title LIKE ? OR body LIKE ?)"
        connection.execute(f"SELECT count(*) FROM doc WHERE {where}", (pattern, pattern)).fetchone()
        return connection.execute(
            f"SELECT id FROM doc WHERE {where} LIMIT 10", (pattern, pattern)
        ).fetchall()

    def text_filter(term: str) -> object:
        pattern = f"%{term}%"
        where = "(title LIKE ? OR body LIKE ?) AND category = 'radio' AND year >= 2000"
        connection.execute(f"SELECT count(*) FROM doc WHERE {where}", (pattern, pattern)).fetchone()
        return connection.execute(
            f"SELECT id FROM doc WHERE {where} LIMIT 10", (pattern, pattern)
        ).fetchall()

    return {
        "docs_s": count / load_s,
        "text": timed(text, terms),
        "filter": timed(text_filter, terms),
    }


def bench_tantivy(directory: Path, count: int, terms: list[str]) -> dict[str, Any] | None:
    try:
        import tantivy  # type: ignore[import-not-found]
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True)
    builder.add_text_field("body", stored=True)
    builder.add_text_field("category", stored=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    schema = builder.build()
    (directory / "tantivy").mkdir()
    index = tantivy.Index(schema, path=str(directory / "tantivy"))
    writer = index.writer()
    started = time.perf_counter()
    for document in synthetic(count):
        writer.add_document(tantivy.Document(**{k: [v] for k, v in document.items()}))
    writer.commit()
    index.reload()
    load_s = time.perf_counter() - started
    searcher = index.searcher()

    def text(term: str) -> object:
        query = index.parse_query(f'"{term}"', ["title", "body"])
        return searcher.search(query, 10, count=True)

    def text_filter(term: str) -> object:
        query = index.parse_query(
            f'"{term}" AND category:radio AND year:[2000 TO *]', ["title", "body"]
        )
        return searcher.search(query, 10, count=True)

    return {
        "docs_s": count / load_s,
        "text": timed(text, terms),
        "filter": timed(text_filter, terms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    # Half common words (thousands of hits), half rarer ones (tens of hits), like real queries.
    terms = [
        rng.choice(WORDS) if n % 2 else f"w{rng.randint(50, 2000)}" for n in range(args.queries)
    ]
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        results = {
            "LIKE scan": bench_like(directory, args.documents, terms),
            "FTS5": bench_fts5(directory, args.documents, terms),
            "tantivy": bench_tantivy(directory, args.documents, terms),
        }
    base = results["LIKE scan"]
    assert base is not None
    print(f"{args.documents} documents, {args.queries} queries a shape (ms; x = LIKE / this)")
    print(
        f"{'engine':<10} {'docs/s':>9} {'text p50':>9} {'p95':>8} "
        f"{'text+filter p50':>16} {'p95':>8}"
    )
    for name, figures in results.items():
        if figures is None:
            print(f"{name:<10} not importable here (not a project dependency): skipped")
            continue
        text50, text95 = figures["text"]
        filt50, filt95 = figures["filter"]
        print(
            f"{name:<10} {figures['docs_s']:>9,.0f} {text50:>9.2f} {text95:>8.2f} "
            f"{filt50:>16.2f} {filt95:>8.2f}   "
            f"x{base['text'][0] / text50:.1f} text p50, x{base['filter'][0] / filt50:.1f} "
            "text+filter p50"
        )


if __name__ == "__main__":
    main()
