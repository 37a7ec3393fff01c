"""The `search_template` handler on both embedded backends (tantivy and SQLite FTS5), for
real: a structured template is checked against the parameter schema, then filled with the
request's values as values, never as query text."""

from __future__ import annotations

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
from response_network.search import IndexSchema, search_backend_for
from response_network.settings import ResponseSettings

DOCS = [
    {"id": "1", "title": "Red pump", "body": "a pump", "category": "manual", "year": 1990},
    {"id": "2", "title": "Blue pump", "body": "pumps", "category": "novel", "year": 2005},
    {"id": "3", "title": "Valve", "body": "OR 1=1 *", "category": "manual", "year": 2010},
    {"id": "4", "title": 'Pump "OR *"', "body": "quoted", "category": "secret", "year": 2020},
]
SCHEMA = {
    "type": "object",
    "properties": {
        "q": {"type": "string", "maxLength": 100},
        "since": {"type": "integer"},
        "kind": {"type": "string"},
    },
    "required": ["q"],
    "additionalProperties": False,
}
QUERY = {
    "bool": {
        "must": [
            {"match": {"title": {"param": "q"}}},
            {"range": {"year": {"gte": {"param": "since"}}}},
            {"term": {"category": {"param": "kind"}}},
        ],
        "must_not": [{"term": {"category": "secret"}}],
    }
}
SETTINGS = {"index": "parts", "query": QUERY, "max_results": 50}
LIMITS = HandlerLimits(max_results=10, timeout_seconds=5, max_answer_bytes=100_000)


@pytest.fixture(params=["embedded", "sqlite"])
async def handler(request: pytest.FixtureRequest, tmp_path: Path) -> Handler:
    settings = ResponseSettings(environment="test", var_dir=tmp_path, search_backend=request.param)
    index = search_backend_for(settings)
    await index.create_index(
        schema=IndexSchema(
            name="parts", text_fields=("title", "body"), filter_fields=("category", "year")
        )
    )
    await index.load(index="parts", documents=DOCS)
    await index.close()
    found = build_handler_registry(settings, plugins=[]).get("search_template")
    await found.check_definition(settings=SETTINGS, parameter_schema=SCHEMA)
    return found


async def ids(
    handler: Handler,
    parameters: dict[str, Any],
    settings: dict[str, Any] = SETTINGS,
    limits: HandlerLimits = LIMITS,
) -> list[str]:
    answer = await run_handler(
        handler=handler, parameters=parameters, settings=settings, limits=limits
    )
    return sorted(hit["id"] for hit in answer.body["hits"])


async def test_parameters_fill_the_template_and_absent_ones_drop_their_clause(
    handler: Handler,
) -> None:
    assert await ids(handler, {"q": "pump"}) == ["1", "2"]
    assert await ids(handler, {"q": "pump", "since": 2000}) == ["2"]
    assert await ids(handler, {"q": "pump", "kind": "manual"}) == ["1"]
    assert await ids(handler, {"q": "pump", "since": 2000, "kind": "manual"}) == []


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ('pump" OR *', ["4"]),  # only the title holding the words pump and OR
        ("OR *", ["4"]),
        ("*", []),  # no word at all: matches nothing, not everything
        ("pump OR valve", []),
        ('title:"valve"', []),
        ('") OR ("1"="1', []),
    ],
)
async def test_query_syntax_in_a_parameter_matches_literally(
    handler: Handler, attack: str, expected: list[str]
) -> None:
    title = {"index": "parts", "query": {"match": {"title": {"param": "q"}}}}
    assert await ids(handler, {"q": attack}, title) == expected
    # The stored template still applies around the value: its must_not keeps 4 out.
    assert "4" not in await ids(handler, {"q": attack})


async def test_should_needs_one_match_and_must_not_alone_excludes(handler: Handler) -> None:
    either = {
        "index": "parts",
        "query": {
            "bool": {
                "should": [
                    {"term": {"category": {"param": "kind"}}},
                    {"range": {"year": {"gte": {"param": "since"}}}},
                ]
            }
        },
    }
    assert await ids(handler, {"kind": "novel", "since": 2015}, either) == ["2", "4"]
    assert await ids(handler, {}, either) == ["1", "2", "3", "4"]  # nothing left: all match
    excluded = {"index": "parts", "query": {"bool": {"must_not": [{"match": {"body": "pump"}}]}}}
    assert await ids(handler, {}, excluded) == ["2", "3", "4"]


async def test_results_are_capped_by_the_limits_and_try_shows_the_resolved_query(
    handler: Handler,
) -> None:
    capped = HandlerLimits(max_results=1, timeout_seconds=5, max_answer_bytes=100_000)
    answer = await run_handler(
        handler=handler, parameters={"q": "pump"}, settings=SETTINGS, limits=capped
    )
    assert (answer.body["total"], len(answer.body["hits"])) == (2, 1)
    shown = await render_handler_query(
        handler=handler, parameters={"q": "pump", "since": 2000}, settings=SETTINGS, limits=LIMITS
    )
    assert shown == {
        "bool": {
            "must": [{"match": {"title": "pump"}}, {"range": {"year": {"gte": 2000}}}],
            "must_not": [{"term": {"category": "secret"}}],
        }
    }


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"match": {"title": {"param": "nope"}}}, "invalid.template_parameter",
         "handler_settings.query.match.title"),
        ({"fuzzy": {"title": "x"}}, "invalid.search_template", "handler_settings.query.fuzzy"),
        ({"match": {"title": {"script": "x"}}}, "invalid.search_template",
         "handler_settings.query.match.title"),
        ({"range": {"year": {"near": 1}}}, "invalid.search_template",
         "handler_settings.query.range.year"),
        ({"bool": {"must": []}}, "invalid.search_template", "handler_settings.query.bool.must"),
        ({"term": {"a b": 1}}, "invalid.search_template", "handler_settings.query.term"),
    ],
)  # fmt: skip
async def test_bad_templates_are_refused_naming_where(
    handler: Handler, query: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await handler.check_definition(
            settings={"index": "parts", "query": query}, parameter_schema=SCHEMA
        )
    assert (refused.value.code, refused.value.extra["field"]) == (code, field)
    if code == "invalid.template_parameter":
        assert refused.value.extra["parameter"] == "nope"


async def test_templates_are_bounded_in_depth_and_size(handler: Handler) -> None:
    deep: dict[str, Any] = {"term": {"category": "manual"}}
    for _ in range(9):
        deep = {"bool": {"must": [deep]}}
    wide = {"bool": {"should": [{"term": {"category": "x"}}] * 64}}
    for query in (deep, wide):
        with pytest.raises(Invalid) as refused:
            await handler.check_definition(
                settings={"index": "parts", "query": query}, parameter_schema=SCHEMA
            )
        assert refused.value.code == "invalid.search_template"


async def test_a_value_must_be_a_scalar_and_a_mustache_source_needs_elasticsearch(
    handler: Handler,
) -> None:
    with pytest.raises(Invalid) as refused:
        await ids(handler, {"q": "pump", "kind": {"match_all": {}}})
    assert refused.value.code == "invalid.parameters"
    with pytest.raises(Invalid) as refused:
        await handler.check_definition(
            settings={"index": "parts", "source": '{"query": {"match_all": {}}}'},
            parameter_schema=SCHEMA,
        )
    assert refused.value.code == "invalid.handler_settings"
