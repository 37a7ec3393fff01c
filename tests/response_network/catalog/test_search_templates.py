"""Admins define `search_template` types: the template is checked against the parameter
schema before anything is stored, and `try` shows the query it became."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.audit import Actor
from response_network.catalog import service
from response_network.catalog.schemas import RequestTypeCreate, RequestTypeUpdate
from response_network.handlers import build_handler_registry
from response_network.runtime import ResponseRuntime
from response_network.search import IndexSchema, search_backend_for
from response_network.settings import ResponseSettings
from tests.response_network.identity import audit_events
from tests.response_network.search.fake_elasticsearch import fake_cluster

SCHEMA = {
    "type": "object",
    "properties": {"q": {"type": "string", "maxLength": 100}, "since": {"type": "integer"}},
    "required": ["q"],
    "additionalProperties": False,
}
QUERY = {
    "bool": {
        "must": [
            {"match": {"title": {"param": "q"}}},
            {"range": {"year": {"gte": {"param": "since"}}}},
        ]
    }
}
TYPE = {
    "name": "find-books",
    "title": "Find books",
    "handler": "search_template",
    "handler_settings": {"index": "books", "query": QUERY},
    "parameter_schema": SCHEMA,
}
BOOKS = [
    {"id": "1", "title": "The red pump", "year": 1990},
    {"id": "2", "title": "A blue pump", "year": 2005},
    {"id": "3", "title": "Pump OR * everything", "year": 2010},
]


@pytest.fixture
async def books(response_settings: ResponseSettings) -> None:
    """The books index on the default embedded backend (tantivy)."""
    index = search_backend_for(response_settings)
    await index.create_index(
        schema=IndexSchema(name="books", text_fields=("title",), filter_fields=("year",))
    )
    await index.load(index="books", documents=BOOKS)
    await index.close()


async def test_a_template_type_answers_try_with_the_documents_and_the_query(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str], books: None
) -> None:
    created = await response_client.post("/admin/request-types", json=TYPE, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["handler_settings"] == TYPE["handler_settings"]  # stored as given

    tried = await response_client.post(
        "/admin/request-types/find-books/try",
        json={"parameters": {"q": "pump", "since": 2000}},
        headers=admin_headers,
    )
    assert tried.status_code == 200, tried.text
    assert sorted(hit["id"] for hit in tried.json()["body"]["hits"]) == ["2", "3"]
    assert tried.json()["query"] == {
        "bool": {"must": [{"match": {"title": "pump"}}, {"range": {"year": {"gte": 2000}}}]}
    }

    literal = await response_client.post(
        "/admin/request-types/find-books/try",
        json={"parameters": {"q": "red OR *"}},
        headers=admin_headers,
    )
    # "red" and "or" must both be in the title: no document has both, none is returned.
    assert literal.json()["body"] == {"total": 0, "hits": []}


async def _refused(
    client: httpx.AsyncClient, headers: dict[str, str], fields: dict[str, Any]
) -> dict[str, Any]:
    answer = await client.post("/admin/request-types", json=TYPE | fields, headers=headers)
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_template_naming_an_unknown_parameter_creates_nothing(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    unknown = {"match": {"title": {"param": "author"}}}
    body = await _refused(
        response_client, admin_headers, {"handler_settings": {"index": "books", "query": unknown}}
    )
    assert (body["code"], body["parameter"]) == ("invalid.template_parameter", "author")
    assert body["field"] == "handler_settings.query.match.title"

    malformed = {"script": {"source": "ctx._source"}}
    body = await _refused(
        response_client, admin_headers, {"handler_settings": {"index": "books", "query": malformed}}
    )
    assert (body["code"], body["field"]) == (
        "invalid.search_template",
        "handler_settings.query.script",
    )

    mustache = {"index": "books", "source": '{"query": {"match": {"title": "{{q}}"}}}'}
    body = await _refused(response_client, admin_headers, {"handler_settings": mustache})
    assert body["code"] == "invalid.handler_settings"  # needs the elasticsearch backend

    gone = await response_client.get("/admin/request-types/find-books", headers=admin_headers)
    assert gone.status_code == 404
    assert await audit_events(response_runtime) == []


async def test_a_change_that_breaks_the_template_changes_nothing(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    created = await response_client.post("/admin/request-types", json=TYPE, headers=admin_headers)
    assert created.status_code == 201, created.text

    narrower = {"type": "object", "properties": {"q": {"type": "string"}}}
    for change, code in [
        ({"parameter_schema": narrower}, "invalid.template_parameter"),  # `since` is gone
        ({"handler_settings": {"index": "books", "query": {"bool": {"must": []}}}},
         "invalid.search_template"),
    ]:  # fmt: skip
        answer = await response_client.patch(
            "/admin/request-types/find-books", json=change, headers=admin_headers
        )
        assert (answer.status_code, answer.json()["code"]) == (422, code)

    kept = await response_client.get("/admin/request-types/find-books", headers=admin_headers)
    assert kept.json()["version"] == 1
    assert (kept.json()["handler_settings"], kept.json()["parameter_schema"]) == (
        TYPE["handler_settings"],
        SCHEMA,
    )
    actions = [event.action for event in await audit_events(response_runtime)]
    assert actions == ["request_type.create"]


async def test_an_elasticsearch_template_is_rendered_again_only_when_its_definition_changes(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    with fake_cluster() as cluster:
        settings = response_settings.model_copy(
            update={"search_backend": "elasticsearch", "elasticsearch_url": cluster.url}
        )
        handlers = build_handler_registry(settings, plugins=[])
        source = '{"query": {"match": {"title": "{{q}}"}}, "size": {{since}}}'
        data = RequestTypeCreate.model_validate(
            TYPE | {"handler_settings": {"index": "books", "source": source}}
        )
        actor = Actor(id=None, name="test-admin")
        async with response_runtime.unit_of_work() as uow:
            item = await service.create_request_type(
                session=uow.session, handlers=handlers, data=data, actor=actor
            )
            renders = [cluster.bodies()]
            for change in ({"title": "Find them"}, {"parameter_schema": SCHEMA | {"title": "x"}}):
                await service.update_request_type(
                    session=uow.session,
                    handlers=handlers,
                    item=item,
                    data=RequestTypeUpdate.model_validate(change),
                    actor=actor,
                )
                renders.append(cluster.bodies())
    assert [len(bodies) for bodies in renders] == [1, 1, 2]
    assert renders[0][0] == {
        "source": source,
        "params": {"q": "x", "since": 1, "airlock_max_results": 10},
    }
