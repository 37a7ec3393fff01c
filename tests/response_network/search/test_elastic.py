"""The Elasticsearch backend against a local HTTP server standing in for the cluster."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from core.errors import Invalid, NotFound, Unavailable
from response_network.search.elastic import ElasticsearchBackend
from response_network.search.query import SearchPolicy, SearchQuery, SortKey, plan_search
from tests.response_network.search.fake_elasticsearch import (
    MISSING_INDEX,
    FakeCluster,
    fake_cluster,
    search_answer,
)


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    with fake_cluster() as cluster:
        yield cluster


@pytest.fixture
async def backend(cluster: FakeCluster) -> AsyncIterator[ElasticsearchBackend]:
    backend = ElasticsearchBackend(url=cluster.url, timeout_seconds=2)
    yield backend
    await backend.close()


def bool_query(**clauses: Any) -> dict[str, Any]:
    return {"query": {"bool": clauses}, "size": 10, "from": 0, "track_total_hits": True}


MATCH_PUMP = {"multi_match": {"query": "pump", "operator": "and", "fields": ["title", "body"]}}


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (
            SearchQuery(text="pump", text_fields=("title", "body")),
            bool_query(must=[MATCH_PUMP]),
        ),
        (
            SearchQuery(text="pump", text_fields=("title", "body"), terms={"category": "valve"}),
            bool_query(must=[MATCH_PUMP], filter=[{"term": {"category": "valve"}}]),
        ),
        (
            SearchQuery(terms={"public": True}, ranges={"year": {"gte": 1990, "lt": 2000}}),
            bool_query(
                filter=[{"term": {"public": True}}, {"range": {"year": {"gte": 1990, "lt": 2000}}}]
            ),
        ),
        (
            SearchQuery(
                text="pump",
                sort=(SortKey(field="year", direction="desc"), SortKey(field="title")),
                limit=5,
                offset=20,
            ),
            {
                "query": {
                    "bool": {"must": [{"multi_match": {"query": "pump", "operator": "and"}}]}
                },
                "size": 5,
                "from": 20,
                "track_total_hits": True,
                "sort": [{"year": {"order": "desc"}}, {"title": {"order": "asc"}}],
            },
        ),
    ],
    ids=["text", "text-and-term", "range", "sort-size-from"],
)
async def test_query_shapes(
    backend: ElasticsearchBackend, cluster: FakeCluster, query: SearchQuery, body: dict[str, Any]
) -> None:
    await backend.search(index="equipment", query=query)

    assert [(r.method, r.path) for r in cluster.requests] == [("POST", "/equipment/_search")]
    assert cluster.bodies() == [body]


@pytest.mark.parametrize(
    "text",
    [
        'foo" OR 1=1 --',
        "*",
        "title:secret",
        '{"query": {"match_all": {}}}',
        "') DROP TABLE documents; --",
    ],
)
async def test_injection_text_is_only_a_query_value(
    backend: ElasticsearchBackend, cluster: FakeCluster, text: str
) -> None:
    await backend.search(index="equipment", query=SearchQuery(text=text))

    assert cluster.bodies() == [
        bool_query(must=[{"multi_match": {"query": text, "operator": "and"}}])
    ]


async def test_dsl_as_a_filter_value_is_refused_before_sending(cluster: FakeCluster) -> None:
    policy = SearchPolicy(filter_fields=frozenset({"category"}))

    with pytest.raises(Invalid) as refused:
        plan_search(policy=policy, terms={"category": {"match_all": {}}})

    assert refused.value.code == "invalid.search_query"
    assert cluster.requests == []


async def test_answer_becomes_a_search_result(
    backend: ElasticsearchBackend, cluster: FakeCluster
) -> None:
    document = {"id": "eq-1", "title": "red pump"}
    cluster.answers["/equipment/_search"] = (200, search_answer(document, total=42))

    result = await backend.search(index="equipment", query=SearchQuery(text="pump"))

    assert result.total == 42
    assert result.hits == [{"id": "eq-1", "score": 1.0, "source": document}]
    assert result.took_ms == 3.0


async def test_missing_index_is_not_found(
    backend: ElasticsearchBackend, cluster: FakeCluster
) -> None:
    cluster.answers["/nope/_search"] = (404, MISSING_INDEX)

    with pytest.raises(NotFound) as missing:
        await backend.search(index="nope", query=SearchQuery(text="pump"))
    with pytest.raises(NotFound):
        await backend.search(index="_all", query=SearchQuery(text="pump"))

    assert missing.value.code == "not_found.index"
    assert len(cluster.requests) == 1


async def test_cluster_errors_are_unavailable(
    backend: ElasticsearchBackend, cluster: FakeCluster
) -> None:
    cluster.answers["/equipment/_search"] = (503, {"error": "down", "status": 503})

    with pytest.raises(Unavailable) as refused:
        await backend.search(index="equipment", query=SearchQuery(text="pump"))

    assert refused.value.code == "unavailable.search"


async def test_server_down_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = ElasticsearchBackend(url=f"http://127.0.0.1:{port}", timeout_seconds=1)
    try:
        with pytest.raises(Unavailable) as down:
            await backend.search(index="equipment", query=SearchQuery(text="pump"))
    finally:
        await backend.close()

    assert down.value.code == "unavailable.search"


async def test_loading_is_left_to_the_cluster(backend: ElasticsearchBackend) -> None:
    with pytest.raises(Invalid) as refused:
        await backend.load(index="equipment", documents=[{"id": "1"}])

    assert refused.value.code == "invalid.search_backend"


async def test_indexes_lists_visible_indexes(
    backend: ElasticsearchBackend, cluster: FakeCluster
) -> None:
    cluster.answers["/_cat/indices"] = (
        200,
        [{"index": "equipment", "docs.count": "200"}, {"index": ".kibana", "docs.count": "3"}],
    )

    listed = await backend.indexes()

    assert [(info.name, info.documents) for info in listed] == [("equipment", 200)]
