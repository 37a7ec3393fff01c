"""What only the tantivy backend (the embedded default) does: its directory layout, typed
filter columns, sort windows over many ties, and its writer lock, timeout and error paths."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tantivy

from core.errors import Conflict, Invalid, NotFound, Unavailable
from response_network.search import SearchBackend
from response_network.search.fts5 import Fts5SearchBackend
from response_network.search.query import IndexSchema, SearchQuery, SortKey
from response_network.search.tantivy_backend import TantivySearchBackend

SCHEMA = IndexSchema(
    name="events",
    text_fields=("title",),
    filter_fields=("at", "size", "flag", "place.site", "tags"),
    sort_fields=("size",),
)
EVENTS: list[dict[str, Any]] = [
    {"id": "1", "title": "flood", "at": "2021-06-01", "size": 3, "flag": True},
    {"id": "2", "title": "flood", "at": "2021-06-01T23:30:00-02:00", "size": 3.0},
    {"id": "3", "title": "fire", "at": "2022-01-01T00:00:00Z", "size": 2.5, "flag": False},
    {"id": "4", "title": "storm", "at": "not a date", "place": {"site": "harbour"}},
    {"id": "5", "title": "storm", "tags": ["harbour"], "place": "harbour"},
]


@pytest.fixture
async def backend(tmp_path: Path) -> TantivySearchBackend:
    backend = TantivySearchBackend(directory=tmp_path)
    await backend.create_index(schema=SCHEMA)
    await backend.load(index="events", documents=EVENTS)
    return backend


def ids(result: Any) -> list[str]:
    return sorted(hit["id"] for hit in result.hits)


async def find(backend: TantivySearchBackend, **query: Any) -> list[str]:
    return ids(await backend.search(index="events", query=SearchQuery(**query)))


async def test_an_index_is_a_directory_that_lists_with_its_schema(
    backend: TantivySearchBackend, tmp_path: Path
) -> None:
    listed = await backend.indexes()
    again = await backend.create_index(schema=SCHEMA)

    assert (tmp_path / "events.tantivy" / "airlock-index.json").is_file()
    assert [(info.name, info.documents, info.schema) for info in listed] == [("events", 5, SCHEMA)]
    assert again is False
    assert await TantivySearchBackend(directory=tmp_path / "none").indexes() == []


async def test_an_fts5_index_of_the_same_name_is_pointed_out(tmp_path: Path) -> None:
    await Fts5SearchBackend(directory=tmp_path).create_index(schema=SCHEMA)

    with pytest.raises(NotFound) as missing:
        await TantivySearchBackend(directory=tmp_path).search(index="events", query=SearchQuery())

    assert missing.value.code == "not_found.index"
    assert "SEARCH_BACKEND=sqlite" in missing.value.detail


async def test_filters_match_values_of_their_own_type(backend: TantivySearchBackend) -> None:
    assert await find(backend, terms={"size": 3}) == ["1", "2"]  # 3 and 3.0 are one number
    assert await find(backend, terms={"size": "3"}) == []
    assert await find(backend, terms={"flag": False}) == ["3"]
    assert await find(backend, terms={"flag": 0}) == []
    assert await find(backend, terms={"at": "not a date"}) == ["4"]
    assert await find(backend, terms={"place.site": "harbour"}) == ["4"]
    # A list or an object is kept in the source but matches no filter.
    assert await find(backend, terms={"tags": "harbour"}) == []


async def test_ranges_compare_numbers_and_iso_dates(backend: TantivySearchBackend) -> None:
    assert await find(backend, ranges={"size": {"gt": 2.5}}) == ["1", "2"]
    assert await find(backend, ranges={"size": {"gte": 2.5, "lt": 3}}) == ["3"]
    # 2021-06-01T23:30-02:00 is 2021-06-02T01:30Z: dates compare as instants, not as text.
    assert await find(backend, ranges={"at": {"gt": "2021-06-02"}}) == ["2", "3"]
    assert await find(backend, ranges={"at": {"lte": "2021-06-01T00:00:00+00:00"}}) == ["1"]
    assert await find(backend, text="flood", ranges={"at": {"lt": "2021-06-02T01:30Z"}}) == ["1"]


@pytest.mark.parametrize("bound", ["2021", "harbour", True, "2021-13-45"])
async def test_a_range_over_text_or_booleans_is_refused(
    backend: TantivySearchBackend, bound: Any
) -> None:
    with pytest.raises(Invalid) as refused:
        await find(backend, ranges={"at": {"gte": bound}})

    assert refused.value.code == "invalid.search_query"


async def test_a_load_upserts_the_last_copy_of_an_id(backend: TantivySearchBackend) -> None:
    written = await backend.load(
        index="events",
        documents=[{"id": "6", "title": "quake"}, {"id": "6", "title": "tremor"}, {"id": 1}],
    )

    assert written == 3
    assert await find(backend, text="tremor") == ["6"]
    assert await find(backend, text="quake") == []
    assert await find(backend, text="flood") == ["2"]  # id 1 was replaced by a bare document
    assert (await backend.search(index="events", query=SearchQuery())).total == 6


def _records(count: int) -> Iterator[dict[str, Any]]:
    """Ids in shuffled order, so index order says nothing about id order."""
    rng = random.Random(5)
    numbers = list(range(count))
    rng.shuffle(numbers)
    for n in numbers:
        record: dict[str, Any] = {"id": f"r{n:04d}", "title": "pump"}
        size = rng.choice([1, 2, 2.5, 3, "large", "small", True, None])
        if size is not None:
            record["size"] = size
        record["site"] = rng.choice(["north", "south", "east"])
        yield record


@pytest.mark.parametrize(
    "keys",
    [
        (SortKey(field="size"),),
        (SortKey(field="size", direction="desc"),),
        (SortKey(field="site"), SortKey(field="size", direction="desc")),
        (SortKey(field="site", direction="desc"), SortKey(field="size")),
    ],
)
async def test_sorted_pages_over_many_ties_match_fts5_order(
    tmp_path: Path, keys: tuple[SortKey, ...]
) -> None:
    schema = IndexSchema(
        name="parts", text_fields=("title",), filter_fields=("site",), sort_fields=("size", "site")
    )
    engines: list[SearchBackend] = [
        TantivySearchBackend(directory=tmp_path),
        Fts5SearchBackend(directory=tmp_path),
    ]
    for engine in engines:
        await engine.create_index(schema=schema)
        # Several loads make several segments; booleans aside (FTS5 sorts them as 0 and 1),
        # both must give the same pages.
        for start in (0, 150, 300):
            batch = list(_records(400))[start : start + 150]
            records = [r for r in batch if r.get("size") is not True]
            await engine.load(index="parts", documents=records)

    windows = [(0, 400), (120, 200), *((offset, 1 + offset % 4) for offset in range(0, 140, 3))]
    for offset, limit in windows:
        query = SearchQuery(sort=keys, offset=offset, limit=limit, terms={"site": "north"})
        pages = [await e.search(index="parts", query=query) for e in engines]
        assert pages[0].total == pages[1].total
        assert [h["id"] for h in pages[0].hits] == [h["id"] for h in pages[1].hits]


async def test_a_second_writer_is_refused_while_readers_go_on(
    backend: TantivySearchBackend, tmp_path: Path
) -> None:
    other = tantivy.Index.open(str(tmp_path / "events.tantivy")).writer(heap_size=15_000_000)

    with pytest.raises(Conflict) as busy:
        await backend.load(index="events", documents=[{"id": "9", "title": "hail"}])
    found = await find(backend, text="flood")
    other.rollback()
    other.wait_merging_threads()
    written = await backend.load(index="events", documents=[{"id": "9", "title": "hail"}])

    assert busy.value.code == "conflict.index_busy"
    assert found == ["1", "2"]
    assert written == 1


async def test_searches_answer_while_a_load_runs(backend: TantivySearchBackend) -> None:
    documents = ({"id": f"x{n}", "title": f"gale {n}"} for n in range(20_000))

    loading = asyncio.create_task(backend.load(index="events", documents=documents))
    during = await asyncio.gather(*(find(backend, text="flood") for _ in range(20)))
    written = await loading
    after = await backend.search(index="events", query=SearchQuery(text="gale", limit=0))

    assert all(found == ["1", "2"] for found in during)
    assert (written, after.total) == (20_000, 20_000)


async def test_another_backend_sees_a_load_once_it_opens_the_index(
    backend: TantivySearchBackend, tmp_path: Path
) -> None:
    await backend.load(index="events", documents=[{"id": "7", "title": "drought"}])
    other = TantivySearchBackend(directory=tmp_path)

    assert await find(other, text="drought") == ["7"]
    await other.close()


async def test_an_unreadable_index_is_unavailable(tmp_path: Path) -> None:
    backend = TantivySearchBackend(directory=tmp_path)
    await backend.create_index(schema=SCHEMA)
    (tmp_path / "events.tantivy" / "meta.json").write_text("{ not json")

    with pytest.raises(Unavailable) as broken:
        await TantivySearchBackend(directory=tmp_path).search(index="events", query=SearchQuery())

    assert broken.value.code == "unavailable.search"


async def test_a_search_past_the_timeout_is_unavailable(tmp_path: Path) -> None:
    backend = TantivySearchBackend(directory=tmp_path, timeout_seconds=0.000_001)
    await backend.create_index(schema=SCHEMA)

    with pytest.raises(Unavailable) as slow:
        await backend.search(index="events", query=SearchQuery(text="flood"))

    assert slow.value.code == "unavailable.search"
