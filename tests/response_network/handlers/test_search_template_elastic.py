"""The `search_template` handler against a local HTTP server standing in for Elasticsearch:
the mustache source goes to the cluster as given, the request's values only as `params`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import Invalid
from response_network.handlers import (
    Handler,
    HandlerLimits,
    build_handler_registry,
    render_handler_query,
    run_handler,
)
from response_network.settings import ResponseSettings
from tests.response_network.search.fake_elasticsearch import (
    FakeCluster,
    fake_cluster,
    search_answer,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "q": {"type": "string", "maxLength": 100},
        "page": {"type": "integer", "minimum": 0},
        "tags": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    },
    "required": ["q"],
}
SOURCE = (
    '{"query": {"match": {"title": "{{q}}"}}, "from": {{page}}, "size": {{airlock_max_results}}}'
)
LIMITS = HandlerLimits(max_results=2, timeout_seconds=5, max_answer_bytes=100_000)


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    with fake_cluster() as cluster:
        yield cluster


@pytest.fixture
def handler(cluster: FakeCluster, tmp_path: Path) -> Handler:
    settings = ResponseSettings(
        environment="test",
        var_dir=tmp_path,
        search_backend="elasticsearch",
        elasticsearch_url=cluster.url,
    )
    return build_handler_registry(settings, plugins=[]).get("search_template")


def template(source: str) -> dict[str, Any]:
    return {"index": "parts", "source": source, "max_results": 50}


async def test_the_cluster_renders_the_template_once_at_definition(
    handler: Handler, cluster: FakeCluster
) -> None:
    await handler.check_definition(settings=template(SOURCE), parameter_schema=SCHEMA)
    [rendered] = cluster.requests
    assert (rendered.method, rendered.path.split("?")[0]) == ("POST", "/_render/template")
    assert rendered.body["source"] == SOURCE  # stored and sent as given
    assert rendered.body["params"]["page"] == 0  # a sample from the schema's minimum


async def test_values_travel_as_params_and_hits_are_capped(
    handler: Handler, cluster: FakeCluster
) -> None:
    documents = [{"id": str(n), "title": "pump"} for n in range(3)]
    cluster.answers["/parts/_search/template"] = (200, search_answer(*documents))
    attack = 'pump"}}, "size": 10000, "x": {"'
    answer = await run_handler(
        handler=handler,
        parameters={"q": attack, "page": 0},
        settings=template(SOURCE),
        limits=LIMITS,
    )
    [sent] = cluster.requests
    assert sent.path.split("?")[0] == "/parts/_search/template"
    assert sent.body == {
        "source": SOURCE,
        "params": {"q": attack, "page": 0, "airlock_max_results": 2},
    }
    assert (answer.body["total"], len(answer.body["hits"])) == (3, 2)


async def test_try_shows_the_body_the_cluster_rendered(handler: Handler) -> None:
    attack = 'pump" OR *'
    shown = await render_handler_query(
        handler=handler,
        parameters={"q": attack, "page": 3},
        settings=template(SOURCE),
        limits=LIMITS,
    )
    assert shown == {"query": {"match": {"title": attack}}, "from": 3, "size": 2}


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ('{"query": {"match": {"title": "{{nope}}"}}}', "invalid.template_parameter"),
        ('{"query": {{{q}}}}', "invalid.search_template"),
        ('{"query": {"match": {"title": "{{&q}}"}}}', "invalid.search_template"),
        ('{"query": {"match": {"title": {{q}}}}}', "invalid.search_template"),
        ('{"query": {{>partial}}}', "invalid.search_template"),
        ('{{=<% %>=}}{"query": {"match": {"title": "<%q%>"}}}', "invalid.search_template"),
        ('{"query": {"terms": {"tag": [{{#tags}}"{{nope}}"{{/tags}}]}}}',
         "invalid.template_parameter"),
        ('{"query": {"terms": {"tag": [{{#tags}}"{{name}}"]}}}', "invalid.search_template"),
        ("x" * 16_385, "invalid.search_template"),
    ],
    ids=["unknown", "triple", "ampersand", "unquoted-string", "partial", "delimiters",
         "unknown-in-section", "unclosed", "too-large"],
)  # fmt: skip
async def test_unsafe_or_unknown_templates_are_refused_before_the_cluster_sees_them(
    handler: Handler, cluster: FakeCluster, source: str, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await handler.check_definition(settings=template(source), parameter_schema=SCHEMA)
    assert refused.value.code == code
    assert cluster.requests == []


async def test_sections_and_to_json_pass_and_a_template_the_cluster_cannot_render_is_refused(
    handler: Handler, cluster: FakeCluster
) -> None:
    sections = (
        '{"query": {"bool": {"should": [{{#tags}}{"term": {"tag": "{{name}}"}},{{/tags}}'
        '{"match": {"title": {{#toJson}}q{{/toJson}}}}]}}}'
    )
    cluster.answers["/_render/template"] = (200, {"template_output": {"query": {}}})
    await handler.check_definition(settings=template(sections), parameter_schema=SCHEMA)
    del cluster.answers["/_render/template"]
    with pytest.raises(Invalid) as refused:
        await handler.check_definition(
            settings=template('{"query": {"match": {"title": "{{q}}"}}'), parameter_schema=SCHEMA
        )
    assert refused.value.code == "invalid.search_template"


async def test_a_structured_template_becomes_query_dsl_with_the_values_in_place(
    handler: Handler, cluster: FakeCluster
) -> None:
    settings = {
        "index": "parts",
        "query": {
            "bool": {
                "should": [
                    {"match": {"title": {"param": "q"}}},
                    {"range": {"year": {"gte": {"param": "page"}}}},
                ]
            }
        },
    }
    await handler.check_definition(settings=settings, parameter_schema=SCHEMA)
    await run_handler(handler=handler, parameters={"q": "pump"}, settings=settings, limits=LIMITS)
    [sent] = cluster.requests
    assert sent.body == {
        "query": {
            "bool": {
                "should": [{"match": {"title": {"query": "pump", "operator": "and"}}}],
                "minimum_should_match": 1,
            }
        },
        "size": 2,
        "track_total_hits": True,
    }


async def test_an_escaped_quote_does_not_end_the_string_around_a_value(
    handler: Handler, cluster: FakeCluster
) -> None:
    inside = '{"query": {"match": {"title": "say \\"{{q}}\\" twice"}}}'
    await handler.check_definition(settings=template(inside), parameter_schema=SCHEMA)
    assert len(cluster.requests) == 1
    outside = '{"query": {"match": {"title": "say \\"", "x": {{q}}}}}'
    with pytest.raises(Invalid) as refused:
        await handler.check_definition(settings=template(outside), parameter_schema=SCHEMA)
    assert refused.value.code == "invalid.search_template"
