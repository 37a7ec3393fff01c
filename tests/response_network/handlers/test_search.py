"""The `search` handler maps parameters onto a structured query, on both embedded backends
(tantivy, the default, and SQLite FTS5): the answers must not tell them apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import Invalid
from response_network.handlers import HandlerLimits, build_handler_registry, run_handler
from response_network.search import IndexSchema, search_backend_for
from response_network.settings import ResponseSettings

DOCS = [
    {"id": "1", "title": "Red pump", "body": "a pump", "category": "manual", "year": 1990},
    {"id": "2", "title": "Blue pump", "body": "pumps", "category": "novel", "year": 2005},
    {"id": "3", "title": "Valve", "body": "OR 1=1 *", "category": "manual", "year": 2010},
]
CONFIG = {
    "index": "parts",
    "text_param": "q",
    "text_fields": ["title", "body"],
    "filter_params": {"kind": "category"},
    "sort": [{"field": "year", "direction": "desc"}],
    "max_results": 50,
}
LIMITS = HandlerLimits(max_results=10, timeout_seconds=5, max_answer_bytes=100_000)


@pytest.fixture(params=["embedded", "sqlite"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> ResponseSettings:
    settings = ResponseSettings(environment="test", var_dir=tmp_path, search_backend=request.param)
    index = search_backend_for(settings)
    await index.create_index(
        schema=IndexSchema(
            name="parts",
            text_fields=("title", "body"),
            filter_fields=("category",),
            sort_fields=("year",),
        )
    )
    await index.load(index="parts", documents=DOCS)
    await index.close()
    return settings


async def search(
    settings: ResponseSettings, parameters: dict[str, Any], limits: HandlerLimits = LIMITS
) -> Any:
    handler = build_handler_registry(settings, plugins=[]).get("search")
    handler.validate_settings(CONFIG)
    answer = await run_handler(
        handler=handler, parameters=parameters, settings=CONFIG, limits=limits
    )
    return answer.body


async def test_text_and_filter_parameters_become_query_clauses(settings: ResponseSettings) -> None:
    body = await search(settings, {"q": "pump"})
    assert [hit["id"] for hit in body["hits"]] == ["2", "1"]
    body = await search(settings, {"q": "pump", "kind": "manual"})
    assert [hit["id"] for hit in body["hits"]] == ["1"]


@pytest.mark.parametrize("attack", ['pump" OR title:*', "*", "OR 1=1", '{"match_all": {}}'])
async def test_query_syntax_in_parameters_is_plain_text(
    settings: ResponseSettings, attack: str
) -> None:
    body = await search(settings, {"q": attack, "kind": "novel"})
    assert body["total"] <= 1


async def test_results_are_capped_by_the_limits(settings: ResponseSettings) -> None:
    limits = HandlerLimits(max_results=1, timeout_seconds=5, max_answer_bytes=100_000)
    body = await search(settings, {"q": "pump"}, limits)
    assert (body["total"], len(body["hits"])) == (2, 1)


async def test_a_filter_value_must_be_a_scalar(settings: ResponseSettings) -> None:
    with pytest.raises(Invalid):
        await search(settings, {"q": "pump", "kind": {"match_all": {}}})
