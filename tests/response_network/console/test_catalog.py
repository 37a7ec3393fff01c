"""The profiles and request types pages: the services of `/admin/profiles` and
`/admin/request-types`, their refusals next to the fields, the schema preview and the try
panel; audited as the API audits."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

from response_network.catalog.models import Profile
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from tests.request_network.console.conftest import csrf_of
from tests.response_network.catalog.test_search_templates import TYPE as BOOKS_TYPE
from tests.response_network.catalog.test_search_templates import books  # noqa: F401 - fixture
from tests.response_network.console.conftest import signed_in_as
from tests.response_network.identity import audit_events

SCHEMA = (
    '{"type": "object", "required": ["part"], "properties": {'
    '"part": {"type": "string", "title": "Part name", "maxLength": 20},'
    '"count": {"type": "integer", "minimum": 1}}}'
)


@pytest.fixture
async def gold(response_runtime: ResponseRuntime) -> None:
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(Profile(name="gold", limits={"day": {"soft": 5, "hard": 10}}))


async def test_an_admin_edits_a_profile_s_limits_and_types(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_user: User,
    gold: None,
    types: list[str],
) -> None:
    client = await signed_in_as(response_client, "ada")
    listing = await client.get("/console/profiles")
    assert 'href="/console/profiles/gold"' in listing.text
    assert "day: 5/10" in listing.text
    page = await client.get("/console/profiles/gold")
    assert 'name="limit.day.hard" type="number" min="0" value="10"' in page.text
    token = csrf_of(page)
    form = {
        "csrf_token": token,
        "description": "paying customers",
        "max_priority": "5",
        "max_results": "100",
        "max_parameter_bytes": "16384",
        "allowed_types": "echo\nmanual",
        "blocked_types": "crash",
        "limit.hour.soft": "3",
        "limit.hour.hard": "4",
    }
    bad = await client.post(
        "/console/profiles/gold", data={**form, "limit.day.soft": "9", "limit.day.hard": "1"}
    )
    assert bad.status_code == 422
    assert 'id="profile-limits-error" role="alert"' in bad.text
    assert 'value="paying customers"' in bad.text  # the typed values stay
    bad = await client.post("/console/profiles/gold", data={**form, "max_priority": "99"})
    assert 'id="profile-max-priority-error" role="alert"' in bad.text
    bad = await client.post("/console/profiles/gold", data={**form, "type_limits": "{"})
    assert 'id="profile-type-limits-error" role="alert"' in bad.text

    saved = await client.post(
        "/console/profiles/gold",
        data={**form, "type_limits": '{"echo": {"minute": {"soft": 1, "hard": 2}}}'},
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Saved." in page.text
    assert 'name="limit.hour.soft" type="number" min="0" value="3"' in page.text
    assert 'name="limit.day.hard" type="number" min="0" value=""' in page.text  # cleared
    assert ">echo\nmanual</textarea>" in page.text
    events = await audit_events(response_runtime, "profile.update")
    assert len(events) == 1

    created = await client.post(
        "/console/profiles", data={"csrf_token": token, "name": "silver", "description": ""}
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/console/profiles/silver"
    taken = await client.post("/console/profiles", data={"csrf_token": token, "name": "silver"})
    assert taken.status_code == 409
    assert 'id="new-profile-name-error" role="alert"' in taken.text
    assert (await client.get("/console/profiles/nope")).status_code == 404


async def test_an_admin_defines_a_type_with_a_previewed_form_and_tries_it(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_user: User,
    handlers: object,
) -> None:
    client = await signed_in_as(response_client, "ada")
    new = await client.get("/console/types/_new")
    assert new.status_code == 200
    token = csrf_of(new)
    preview = await client.post(
        "/console/types/_preview",
        data={"csrf_token": token, "parameter_schema": SCHEMA},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert '<label for="preview-f-p-part">Part name (required)</label>' in preview.text
    assert 'maxlength="20"' in preview.text
    assert 'min="1"' in preview.text
    unsafe = await client.post(
        "/console/types/_preview",
        data={
            "csrf_token": token,
            "parameter_schema": '{"type": "object", "properties": {"a": {"$ref": "http://x/y"}}}',
        },
    )
    assert 'id="preview-refusal"' in unsafe.text
    assert "$ref" in unsafe.text
    not_object = await client.post(
        "/console/types/_preview",
        data={"csrf_token": token, "parameter_schema": '{"type": "string"}'},
    )
    assert "must describe an object" in not_object.text

    form = {
        "csrf_token": token,
        "name": "parts",
        "title": "Parts",
        "handler": "echo",
        "active": "on",
        "handler_settings": "{}",
        "expected_answer_seconds": "60",
    }
    refused = await client.post(
        "/console/types", data={**form, "parameter_schema": '{"type": "string"}'}
    )
    assert refused.status_code == 422
    assert 'id="type-schema-error" role="alert"' in refused.text
    assert 'id="preview-refusal"' in refused.text  # the preview shows why, too
    refused = await client.post(
        "/console/types", data={**form, "handler": "nope", "parameter_schema": SCHEMA}
    )
    assert refused.status_code == 422
    created = await client.post("/console/types", data={**form, "parameter_schema": SCHEMA})
    assert created.status_code == 303
    assert created.headers["location"] == "/console/types/parts"
    assert len(await audit_events(response_runtime, "request_type.create")) == 1
    taken = await client.post("/console/types", data={**form, "parameter_schema": SCHEMA})
    assert taken.status_code == 409

    page = await client.get("/console/types/parts")
    assert '<label for="f-p-part">Part name (required)</label>' in page.text  # the try form
    assert '<label for="preview-f-p-part">' in page.text  # and the preview, ids apart
    too_long = await client.post(
        "/console/types/parts/try", data={"csrf_token": token, "p.part": "x" * 30}
    )
    assert too_long.status_code == 422
    assert 'id="f-p-part-error" role="alert"' in too_long.text
    tried = await client.post(
        "/console/types/parts/try", data={"csrf_token": token, "p.part": "bolt", "p.count": "3"}
    )
    assert tried.status_code == 200
    assert 'id="try-answer"' in tried.text
    assert "&#34;part&#34;: &#34;bolt&#34;" in tried.text  # echo's answer, pretty JSON

    saved = await client.post(
        "/console/types/parts",
        data={**form, "title": "Spare parts", "parameter_schema": SCHEMA},
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Version 2" in page.text
    assert 'value="Spare parts"' in page.text
    listing = await client.get("/console/types")
    assert 'href="/console/types/parts"' in listing.text
    assert "<td>Spare parts</td>" in listing.text


async def test_operators_are_refused_the_catalog_pages(
    response_client: httpx.AsyncClient, operator: User, gold: None
) -> None:
    client = await signed_in_as(response_client, "olga")
    token = csrf_of(await client.get("/console/queue"))
    for path in (
        "/console/profiles",
        "/console/profiles/gold",
        "/console/types",
        "/console/types/_new",
    ):
        assert (await client.get(path)).status_code == 403, path
    preview = await client.post(
        "/console/types/_preview", data={"csrf_token": token, "parameter_schema": SCHEMA}
    )
    assert preview.status_code == 403


async def test_bad_addresses_and_forms_are_4xx_pages(
    response_client: httpx.AsyncClient, admin_user: User, gold: None
) -> None:
    client = await signed_in_as(response_client, "ada")
    token = csrf_of(await client.get("/console/types"))
    for path in (
        "/console/types?deleted=maybe",
        "/console/types/NOT_A_NAME",
        "/console/profiles/" + "x" * 65,
        "/console/users?role=king",
        "/console/users?cursor=not-a-cursor",
        "/console/users/not-a-uuid",
    ):
        answer = await client.get(path)
        assert 400 <= answer.status_code < 500, path
        assert answer.headers["content-type"].startswith("text/html"), path
    posts = {
        "/console/profiles/gold": {"max_priority": "high"},
        "/console/types": {"parameter_schema": "[1]"},
        "/console/users": {"limit_overrides": "[]"},
    }
    for path, data in posts.items():
        answer = await client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 422, path
        assert answer.headers["content-type"].startswith("text/html"), path


@pytest.mark.usefixtures("books")
async def test_a_template_type_s_try_shows_the_hits_and_the_query_sent(
    response_client: httpx.AsyncClient, admin_user: User
) -> None:
    client = await signed_in_as(response_client, "ada")
    token = csrf_of(await client.get("/console/types/_new"))
    definition = {
        "csrf_token": token,
        "name": BOOKS_TYPE["name"],
        "title": BOOKS_TYPE["title"],
        "handler": "search_template",
        "active": "on",
        "expected_answer_seconds": "60",
        "handler_settings": json.dumps(BOOKS_TYPE["handler_settings"]),
        "parameter_schema": json.dumps(BOOKS_TYPE["parameter_schema"]),
    }
    page = await client.get("/console/types/_new")
    assert "<code>search_template</code>: index, source, query, max_results" in page.text
    created = await client.post("/console/types", data=definition)
    assert created.status_code == 303

    tried = await client.post(
        "/console/types/find-books/try",
        data={"csrf_token": token, "p.q": "pump", "p.since": "2000"},
    )
    assert tried.status_code == 200
    answer = re.search(r'<div id="try-answer">(.*?)</div>', tried.text, re.S)
    assert answer is not None
    assert "2 records" in answer.group(1)
    assert "A blue pump" in answer.group(1)
    assert "The red pump" not in answer.group(1)  # 1990: before `since`
    query = re.search(r'<code id="try-query">(.*?)</code>', tried.text, re.S)
    assert query is not None
    assert json.loads(html.unescape(query.group(1))) == {
        "bool": {"must": [{"match": {"title": "pump"}}, {"range": {"year": {"gte": 2000}}}]}
    }
