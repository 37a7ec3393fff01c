"""Both embedded backends (tantivy, the default, and SQLite FTS5), for real, in a temporary
directory: every test here runs on each, so the handler cannot tell them apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import Conflict, Invalid, NotFound
from response_network.search.demo import DEMO_SCHEMA, load_demo
from response_network.search.fts5 import Fts5SearchBackend
from response_network.search.query import IndexSchema, SearchQuery, SortKey
from response_network.search.tantivy_backend import TantivySearchBackend

EmbeddedBackend = TantivySearchBackend | Fts5SearchBackend
Make = Callable[[Path], EmbeddedBackend]
MODULES = {
    "embedded": "response_network.search.tantivy_backend",
    "sqlite": "response_network.search.fts5",
}

SCHEMA = IndexSchema(
    name="books",
    text_fields=("title", "body"),
    filter_fields=("category", "year", "public"),
    sort_fields=("year", "title"),
)
BOOKS = [
    {
        "id": "1",
        "title": "The red pump",
        "body": "A pump for the harbour",
        "category": "manual",
        "year": 1990,
        "public": True,
    },
    {
        "id": "2",
        "title": "Blue valves",
        "body": "Valves and pumps in the cold",
        "category": "manual",
        "year": 2005,
        "public": False,
    },
    {
        "id": "3",
        "title": "Title secret",
        "body": "The secret title of a red book",
        "category": "novel",
        "year": 2010,
        "public": True,
    },
    {
        "id": "4",
        "title": "Query match all",
        "body": "a book about foo and near misses",
        "category": "novel",
        "year": 2020,
        "public": True,
    },
]


@pytest.fixture(params=sorted(MODULES))
def kind(request: pytest.FixtureRequest) -> str:
    """The `SEARCH_BACKEND` value under test."""
    return str(request.param)


@pytest.fixture
def make(kind: str) -> Make:
    backends: dict[str, type[EmbeddedBackend]] = {
        "embedded": TantivySearchBackend,
        "sqlite": Fts5SearchBackend,
    }
    return lambda directory: backends[kind](directory=directory)


@pytest.fixture
async def backend(make: Make, tmp_path: Path) -> EmbeddedBackend:
    backend = make(tmp_path / "search")
    await backend.create_index(schema=SCHEMA)
    await backend.load(index="books", documents=BOOKS)
    return backend


def ids(result: object) -> list[str]:
    return [hit["id"] for hit in result.hits]  # type: ignore[attr-defined]


async def test_text_finds_matching_documents_best_first(backend: EmbeddedBackend) -> None:
    result = await backend.search(index="books", query=SearchQuery(text="red"))

    assert result.total == 2
    assert set(ids(result)) == {"1", "3"}
    assert all(hit["score"] is not None and hit["score"] > 0 for hit in result.hits)
    assert result.hits[0]["source"]["title"] in {"The red pump", "Title secret"}
    assert result.took_ms >= 0


async def test_words_must_all_match_and_text_fields_narrow(backend: EmbeddedBackend) -> None:
    both = await backend.search(index="books", query=SearchQuery(text="red book"))
    in_title = await backend.search(
        index="books", query=SearchQuery(text="red", text_fields=("title",))
    )

    assert ids(both) == ["3"]
    assert ids(in_title) == ["1"]


async def test_term_and_range_filters(backend: EmbeddedBackend) -> None:
    novels = await backend.search(index="books", query=SearchQuery(terms={"category": "novel"}))
    hidden = await backend.search(index="books", query=SearchQuery(terms={"public": False}))
    recent = await backend.search(
        index="books", query=SearchQuery(ranges={"year": {"gte": 2005, "lt": 2020}})
    )
    text_and_filter = await backend.search(
        index="books", query=SearchQuery(text="red", terms={"category": "manual"})
    )
    wrong_type = await backend.search(index="books", query=SearchQuery(terms={"year": "1990"}))

    assert ids(novels) == ["3", "4"]
    assert ids(hidden) == ["2"]
    assert ids(recent) == ["2", "3"]
    assert ids(text_and_filter) == ["1"]
    assert wrong_type.total == 0


async def test_filters_and_sorts_leave_the_scores_alone(backend: EmbeddedBackend) -> None:
    plain = await backend.search(index="books", query=SearchQuery(text="red"))
    filtered = await backend.search(
        index="books",
        query=SearchQuery(text="red", terms={"category": "manual"}, ranges={"year": {"gt": 0}}),
    )
    by_year = await backend.search(
        index="books", query=SearchQuery(text="red", sort=(SortKey(field="year"),))
    )

    def scores(result: Any) -> dict[str, float]:
        return {hit["id"]: hit["score"] for hit in result.hits}

    assert scores(filtered) == {"1": scores(plain)["1"]}
    assert scores(by_year) == scores(plain)
    assert ids(by_year) == ["1", "3"]


async def test_sort_limit_and_offset(backend: EmbeddedBackend) -> None:
    newest = SortKey(field="year", direction="desc")
    page1 = await backend.search(index="books", query=SearchQuery(sort=(newest,), limit=2))
    page2 = await backend.search(
        index="books", query=SearchQuery(sort=(newest,), limit=2, offset=2)
    )
    past_end = await backend.search(index="books", query=SearchQuery(limit=2, offset=10))

    assert (page1.total, ids(page1)) == (4, ["4", "3"])
    assert ids(page2) == ["2", "1"]
    assert (past_end.total, past_end.hits) == (4, [])


async def test_a_limit_of_zero_counts_without_hits(backend: EmbeddedBackend) -> None:
    by_score = await backend.search(index="books", query=SearchQuery(text="red", limit=0))
    by_id = await backend.search(index="books", query=SearchQuery(limit=0))
    by_year = await backend.search(
        index="books", query=SearchQuery(sort=(SortKey(field="year"),), limit=0)
    )

    assert [(r.total, r.hits) for r in (by_score, by_id, by_year)] == [(2, []), (4, []), (4, [])]


TIED_SCHEMA = IndexSchema(
    name="tied",
    text_fields=("title", "body"),
    filter_fields=("year", "kind"),
    sort_fields=("year", "kind"),
)
TIED: list[dict[str, Any]] = [
    {"id": "b", "title": "pump", "body": "nothing else here at all", "year": 2000, "kind": "x"},
    {"id": "a", "title": "pump", "body": "pump pump pump", "year": 2000, "kind": "y"},
    {"id": "c", "title": "valve", "body": "", "year": 2000, "kind": "x"},
    {"id": "d", "title": "pump", "body": "", "year": 2010, "kind": "x"},
    {"id": "e", "title": "pump", "body": "", "year": "unknown", "kind": "y"},
    {"id": "f", "title": "pump", "body": ""},
]


async def test_sort_keys_then_best_match_then_id(make: Make, tmp_path: Path) -> None:
    backend = make(tmp_path)
    await backend.create_index(schema=TIED_SCHEMA)
    await backend.load(index="tied", documents=TIED)
    newest, oldest = SortKey(field="year", direction="desc"), SortKey(field="year")

    async def order(**query: Any) -> list[str]:
        return ids(await backend.search(index="tied", query=SearchQuery(**query)))

    # Missing values come first ascending and last descending; numbers before text; equal
    # years by best match (text) or by id (filters only).
    assert await order(text="pump", sort=(newest,)) == ["e", "d", "a", "b", "f"]
    assert await order(text="pump", sort=(oldest,)) == ["f", "a", "b", "d", "e"]
    assert await order(sort=(oldest,)) == ["f", "a", "b", "c", "d", "e"]
    assert await order(sort=(oldest,), offset=1, limit=2) == ["a", "b"]
    assert await order(sort=(SortKey(field="kind", direction="desc"), oldest)) == [
        "a",
        "e",
        "b",
        "c",
        "d",
        "f",
    ]


async def test_booleans_sort_false_before_true(make: Make, tmp_path: Path) -> None:
    backend = make(tmp_path)
    await backend.create_index(
        schema=SCHEMA.model_copy(update={"name": "flags", "sort_fields": ("public", "year")})
    )
    await backend.load(index="flags", documents=BOOKS)
    public_first = (SortKey(field="public", direction="desc"), SortKey(field="year"))

    result = await backend.search(index="flags", query=SearchQuery(sort=public_first))

    assert ids(result) == ["1", "3", "4", "2"]


async def test_a_bad_document_stops_the_load_and_keeps_earlier_chunks(
    make: Make, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{MODULES[kind]}.LOAD_CHUNK", 2)
    backend = make(tmp_path)
    await backend.create_index(schema=SCHEMA)
    documents: list[dict[str, Any]] = [
        *({"id": n, "title": f"pump {n}"} for n in range(5)),
        {"title": "pump, no id"},
    ]

    with pytest.raises(Invalid) as refused:
        await backend.load(index="books", documents=documents)

    result = await backend.search(index="books", query=SearchQuery(text="pump"))
    assert refused.value.code == "invalid.search_document"
    assert sorted(ids(result)) == ["0", "1", "2", "3"]


async def test_upsert_replaces_by_id(backend: EmbeddedBackend) -> None:
    written = await backend.load(
        index="books", documents=[{**BOOKS[0], "title": "The green pump", "year": 1991}]
    )

    red = await backend.search(index="books", query=SearchQuery(text="red"))
    green = await backend.search(index="books", query=SearchQuery(text="green"))
    everything = await backend.search(index="books", query=SearchQuery())
    assert written == 1
    assert ids(red) == ["3"]
    assert [hit["source"]["year"] for hit in green.hits] == [1991]
    assert everything.total == 4


async def test_load_in_chunks(
    make: Make, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{MODULES[kind]}.LOAD_CHUNK", 7)
    backend = make(tmp_path)
    await backend.create_index(schema=SCHEMA)

    written = await backend.load(
        index="books", documents=({"id": n, "title": f"pump {n}"} for n in range(30))
    )

    result = await backend.search(index="books", query=SearchQuery(text="pump", limit=0))
    assert (written, result.total) == (30, 30)


async def test_unknown_index_and_disallowed_fields(backend: EmbeddedBackend) -> None:
    with pytest.raises(NotFound) as missing:
        await backend.search(index="nope", query=SearchQuery(text="red"))
    with pytest.raises(NotFound) as traversal:
        await backend.search(index="../books", query=SearchQuery(text="red"))
    with pytest.raises(Invalid) as filtered:
        await backend.search(index="books", query=SearchQuery(terms={"secret": 1}))
    with pytest.raises(Invalid) as sorted_:
        await backend.search(index="books", query=SearchQuery(sort=(SortKey(field="body"),)))
    with pytest.raises(Conflict):
        await backend.create_index(schema=SCHEMA.model_copy(update={"sort_fields": ()}))

    assert missing.value.code == traversal.value.code == "not_found.index"
    assert filtered.value.code == sorted_.value.code == "invalid.search_field"


@pytest.mark.parametrize(
    "document",
    [{"title": "no id"}, {"id": True}, {"id": ""}, {"id": 1.5}, {"id": "x" * 513}, ["id", 1]],
)
async def test_documents_without_a_usable_id_are_refused(
    backend: EmbeddedBackend, document: Any
) -> None:
    with pytest.raises(Invalid) as refused:
        await backend.load(index="books", documents=[document])

    assert refused.value.code == "invalid.search_document"
    assert (await backend.search(index="books", query=SearchQuery())).total == len(BOOKS)


async def test_numbers_in_text_fields_are_searchable_as_words(backend: EmbeddedBackend) -> None:
    await backend.load(index="books", documents=[{"id": "5", "title": 1984, "body": ["a", "b"]}])

    by_number = await backend.search(index="books", query=SearchQuery(text="1984"))
    by_list = await backend.search(index="books", query=SearchQuery(text="b"))

    assert ids(by_number) == ids(by_list) == ["5"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('foo" OR 1=1 --', []),
        ("*", []),
        ("title:secret", ["3"]),
        ("NEAR(a b)", []),
        ("a OR b", []),
        ("') DROP TABLE documents; --", []),
        ("') DROP TABLE document; --", []),
        ('{"query": {"match_all": {}}}', ["4"]),
        ("red*", ["1", "3"]),
        ("-red", ["1", "3"]),
        ("", []),
        ("_", []),
        ("red _", ["1", "3"]),
    ],
)
async def test_query_syntax_in_user_text_is_plain_text(
    backend: EmbeddedBackend, text: str, expected: list[str]
) -> None:
    result = await backend.search(index="books", query=SearchQuery(text=text))

    assert sorted(ids(result)) == expected
    everything = await backend.search(index="books", query=SearchQuery())
    assert everything.total == len(BOOKS)


async def test_demo_loads_and_is_searchable(make: Make, tmp_path: Path) -> None:
    backend = make(tmp_path)

    first = await load_demo(backend)
    again = await load_demo(backend)

    result = await backend.search(
        index=DEMO_SCHEMA.name, query=SearchQuery(text="generator", terms={"category": "generator"})
    )
    listed = await backend.indexes()
    assert (first, again) == (200, 200)
    assert result.total > 0
    assert [(info.name, info.documents) for info in listed] == [("equipment", 200)]
