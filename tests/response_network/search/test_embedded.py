"""The embedded (SQLite FTS5) backend, for real, in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Conflict, Invalid, NotFound
from response_network.search.demo import DEMO_SCHEMA, load_demo
from response_network.search.embedded import EmbeddedSearchBackend
from response_network.search.query import IndexSchema, SearchQuery, SortKey

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


@pytest.fixture
async def backend(tmp_path: Path) -> EmbeddedSearchBackend:
    backend = EmbeddedSearchBackend(directory=tmp_path / "search")
    await backend.create_index(schema=SCHEMA)
    await backend.load(index="books", documents=BOOKS)
    return backend


def ids(result: object) -> list[str]:
    return [hit["id"] for hit in result.hits]  # type: ignore[attr-defined]


async def test_text_finds_matching_documents_best_first(backend: EmbeddedSearchBackend) -> None:
    result = await backend.search(index="books", query=SearchQuery(text="red"))

    assert result.total == 2
    assert set(ids(result)) == {"1", "3"}
    assert all(hit["score"] is not None and hit["score"] > 0 for hit in result.hits)
    assert result.hits[0]["source"]["title"] in {"The red pump", "Title secret"}
    assert result.took_ms >= 0


async def test_words_must_all_match_and_text_fields_narrow(backend: EmbeddedSearchBackend) -> None:
    both = await backend.search(index="books", query=SearchQuery(text="red book"))
    in_title = await backend.search(
        index="books", query=SearchQuery(text="red", text_fields=("title",))
    )

    assert ids(both) == ["3"]
    assert ids(in_title) == ["1"]


async def test_term_and_range_filters(backend: EmbeddedSearchBackend) -> None:
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


async def test_sort_limit_and_offset(backend: EmbeddedSearchBackend) -> None:
    newest = SortKey(field="year", direction="desc")
    page1 = await backend.search(index="books", query=SearchQuery(sort=(newest,), limit=2))
    page2 = await backend.search(
        index="books", query=SearchQuery(sort=(newest,), limit=2, offset=2)
    )
    past_end = await backend.search(index="books", query=SearchQuery(limit=2, offset=10))

    assert (page1.total, ids(page1)) == (4, ["4", "3"])
    assert ids(page2) == ["2", "1"]
    assert (past_end.total, past_end.hits) == (4, [])


async def test_upsert_replaces_by_id(backend: EmbeddedSearchBackend) -> None:
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


async def test_load_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("response_network.search.embedded.LOAD_CHUNK", 7)
    backend = EmbeddedSearchBackend(directory=tmp_path)
    await backend.create_index(schema=SCHEMA)

    written = await backend.load(
        index="books", documents=({"id": n, "title": f"pump {n}"} for n in range(30))
    )

    result = await backend.search(index="books", query=SearchQuery(text="pump", limit=0))
    assert (written, result.total) == (30, 30)


async def test_unknown_index_and_disallowed_fields(backend: EmbeddedSearchBackend) -> None:
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


async def test_documents_without_an_id_are_refused(backend: EmbeddedSearchBackend) -> None:
    with pytest.raises(Invalid) as refused:
        await backend.load(index="books", documents=[{"title": "no id"}])

    assert refused.value.code == "invalid.search_document"


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
    ],
)
async def test_query_syntax_in_user_text_is_plain_text(
    backend: EmbeddedSearchBackend, text: str, expected: list[str]
) -> None:
    result = await backend.search(index="books", query=SearchQuery(text=text))

    assert sorted(ids(result)) == expected
    everything = await backend.search(index="books", query=SearchQuery())
    assert everything.total == len(BOOKS)


async def test_demo_loads_and_is_searchable(tmp_path: Path) -> None:
    backend = EmbeddedSearchBackend(directory=tmp_path)

    first = await load_demo(backend)
    again = await load_demo(backend)

    result = await backend.search(
        index=DEMO_SCHEMA.name, query=SearchQuery(text="generator", terms={"category": "generator"})
    )
    listed = await backend.indexes()
    assert (first, again) == (200, 200)
    assert result.total > 0
    assert [(info.name, info.documents) for info in listed] == [("equipment", 200)]
