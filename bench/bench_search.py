"""Embedded search: load rate and query latency of both embedded backends, tantivy (the
default, `SEARCH_BACKEND=embedded`) and SQLite FTS5 (`SEARCH_BACKEND=sqlite`), measured through
their backend classes (`load`, `search`) on the same documents and queries in one run.

    uv run python -m bench.bench_search [--documents 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.report import Measure, emit, info
from core.logging import configure_logging
from response_network.search import SearchBackend
from response_network.search.fts5 import Fts5SearchBackend
from response_network.search.query import IndexSchema, SearchQuery, SortKey
from response_network.search.tantivy_backend import TantivySearchBackend

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


SHAPES: dict[str, Callable[[str], SearchQuery]] = {
    "text": lambda word: SearchQuery(text=word, limit=10),
    "text+filter": lambda word: SearchQuery(
        text=word, terms={"category": "radio"}, ranges={"year": {"gte": 2000}}, limit=10
    ),
    "text+sort": lambda word: SearchQuery(
        text=word, sort=(SortKey(field="year", direction="desc"),), limit=10
    ),
    "filter only": lambda word: SearchQuery(
        terms={"category": "radio"}, ranges={"year": {"gte": 2000 + len(word) % 20}}, limit=10
    ),
}
"""The `search` handler's query shapes; `text+sort` is the demo type's (newest first)."""


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94]


async def measure(backend: SearchBackend, count: int, words: list[str]) -> dict[str, Any]:
    """Load `count` documents, then time every shape once per word; figures in ms."""
    await backend.create_index(schema=SCHEMA)
    started = time.perf_counter()
    await backend.load(index=SCHEMA.name, documents=synthetic(count))
    figures: dict[str, Any] = {"docs_s": count / (time.perf_counter() - started)}
    for shape, build in SHAPES.items():
        samples = []
        for word in words:
            query = build(word)
            started = time.perf_counter()
            await backend.search(index=SCHEMA.name, query=query)
            samples.append((time.perf_counter() - started) * 1000)
        figures[shape] = percentiles(samples)
    await backend.close()
    return figures


async def run(count: int, words: list[str]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as scratch:
        return {
            "tantivy": await measure(
                TantivySearchBackend(directory=Path(scratch) / "tantivy"), count, words
            ),
            "FTS5": await measure(
                Fts5SearchBackend(directory=Path(scratch) / "fts5"), count, words
            ),
        }


def main() -> list[Measure]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    # Half common words (thousands of hits), half rarer ones (tens of hits), like real queries.
    words = [
        rng.choice(WORDS) if n % 2 else f"w{rng.randint(50, 2000)}" for n in range(args.queries)
    ]
    configure_logging(level="WARNING")  # the figures, not one log line per index loaded
    results = asyncio.run(run(args.documents, words))
    tantivy, fts5 = results["tantivy"], results["FTS5"]
    print(
        f"{args.documents} documents, {args.queries} queries a shape, through the backend "
        "classes (ms; ratio = FTS5 / tantivy)"
    )
    print(f"{'shape':<12} {'tantivy p50':>12} {'p95':>8} {'FTS5 p50':>10} {'p95':>8}  ratio p50")
    for shape in SHAPES:
        (t50, t95), (f50, f95) = tantivy[shape], fts5[shape]
        print(f"{shape:<12} {t50:>12.2f} {t95:>8.2f} {f50:>10.2f} {f95:>8.2f} {f50 / t50:>9.1f}x")
    print(
        f"{'load docs/s':<12} {tantivy['docs_s']:>12,.0f} {'':>8} {fts5['docs_s']:>10,.0f} "
        f"{'':>8} {tantivy['docs_s'] / fts5['docs_s']:>9.1f}x (tantivy / FTS5)"
    )
    fts5_p50 = {"baseline": fts5["text+sort"][0], "baseline_name": "FTS5 p50"}
    return [
        info("search p50, text+sort, tantivy", tantivy["text+sort"][0], "ms", **fts5_p50),
        info("search load, tantivy", tantivy["docs_s"], "docs/s"),
    ]


if __name__ == "__main__":
    emit(main())
