"""The user portal: generated forms with the API's validation inline, requests, cancel, quota."""

from __future__ import annotations

import re
import uuid

import httpx

from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.catalog.test_submissions import replica_type
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.console.conftest import csrf_of, log_in, page_link
from tests.request_network.responses.conftest import insert_request


async def test_the_form_is_generated_from_the_schema(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/types/forecast")
    assert page.status_code == 200
    html = page.text
    assert '<label for="f-p-city">City (required)</label>' in html
    assert 'name="p.city"' in html
    assert 'maxlength="20"' in html
    assert 'name="p.days"' in html
    assert 'type="number"' in html
    assert 'min="1"' in html
    assert '<select id="f-p-unit" name="p.unit"' in html
    assert "<option>imperial</option>" in html
    assert 'type="checkbox" id="f-p-hourly"' in html


async def test_a_wrong_value_is_shown_next_to_its_field_then_the_fixed_form_submits(
    signed_in: httpx.AsyncClient,
) -> None:
    form = await signed_in.get("/console/types/forecast")
    token = csrf_of(form)
    wrong = await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": token, "p.city": "Oslo", "p.days": "12", "p.unit": "metric"},
    )
    assert wrong.status_code == 422
    assert 'id="f-p-days-error" role="alert"' in wrong.text
    assert "the value is greater than the maximum of 7" in wrong.text
    assert "parameters.days:" not in wrong.text  # the field shows where; the path is noise
    assert 'value="Oslo"' in wrong.text  # what was typed is kept

    not_a_number = await signed_in.post(
        "/console/types/forecast", data={"csrf_token": token, "p.city": "Oslo", "p.days": "two"}
    )
    assert "must be a whole number" in not_a_number.text

    missing = await signed_in.post(
        "/console/types/forecast", data={"csrf_token": token, "p.days": "2"}
    )
    assert 'id="f-p-city-error"' in missing.text

    fixed = await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": token, "p.city": "Oslo", "p.days": "3", "p.hourly": "on"},
    )
    assert fixed.status_code == 303
    page = await signed_in.get(fixed.headers["location"])
    # pending, or exported already where the in-process export ran
    assert re.search(r'<strong id="status-value">(pending|exported)</strong>', page.text)
    assert "hx-get=" in page.text  # polls while not final
    listing = await signed_in.get("/console/requests")
    assert "<td>forecast</td>" in listing.text
    api = await signed_in.get("/requests", headers={})  # the cookie is no API credential
    assert api.status_code == 401


async def test_a_schema_the_generator_cannot_draw_gets_a_json_textarea(
    request_runtime: RequestRuntime, signed_in: httpx.AsyncClient
) -> None:
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["tags"],
    }
    async with request_runtime.unit_of_work() as uow:
        uow.session.add(replica_type("tagged", parameter_schema=schema))
    form = await signed_in.get("/console/types/tagged")
    assert 'name="parameters_json"' in form.text
    token = csrf_of(form)
    bad = await signed_in.post(
        "/console/types/tagged", data={"csrf_token": token, "parameters_json": "{nope"}
    )
    assert bad.status_code == 422
    assert "not valid JSON" in bad.text
    wrong = await signed_in.post(
        "/console/types/tagged", data={"csrf_token": token, "parameters_json": '{"tags": 3}'}
    )
    assert "parameters.tags" in wrong.text
    good = await signed_in.post(
        "/console/types/tagged", data={"csrf_token": token, "parameters_json": '{"tags": ["a"]}'}
    )
    assert good.status_code == 303


async def test_cancel_and_quota(signed_in: httpx.AsyncClient) -> None:
    form = await signed_in.get("/console/types/forecast")
    created = await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": csrf_of(form), "p.city": "Oslo", "p.days": "1"},
    )
    page = await signed_in.get(created.headers["location"])
    cancelled = await signed_in.post(
        f"{created.headers['location']}/cancel", data={"csrf_token": csrf_of(page)}
    )
    assert cancelled.status_code == 303
    after = await signed_in.get(created.headers["location"])
    assert '<strong id="status-value">cancelled</strong>' in after.text
    assert "Cancel this request" not in after.text
    quota = await signed_in.get("/console/limits")
    assert quota.status_code == 200
    assert "Profile: <strong>default</strong>" in quota.text


async def test_another_users_request_is_not_found(
    signed_in: httpx.AsyncClient, replica_user: ReplicaUserFactory, dana: User
) -> None:
    form = await signed_in.get("/console/types/forecast")
    created = await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": csrf_of(form), "p.city": "Oslo", "p.days": "1"},
    )
    await replica_user("erin")
    signed_in.cookies.clear()
    await log_in(signed_in, "erin")
    other = await signed_in.get(created.headers["location"])
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("text/html")
    unknown_type = await signed_in.get("/console/types/nope")
    assert unknown_type.status_code == 404
    bad_id = await signed_in.get("/console/requests/not-a-uuid")
    assert bad_id.status_code == 422
    assert "<html" in bad_id.text


async def test_the_any_status_option_is_no_filter(signed_in: httpx.AsyncClient) -> None:
    form = await signed_in.get("/console/types/forecast")
    await signed_in.post(
        "/console/types/forecast",
        data={"csrf_token": csrf_of(form), "p.city": "Oslo", "p.days": "1"},
    )

    listing = await signed_in.get("/console/requests?status=")  # what the form sends for "any"

    assert listing.status_code == 200
    assert "<td>forecast</td>" in listing.text


async def test_my_requests_page_forward_and_back_with_a_bounded_page_size(
    request_runtime: RequestRuntime, signed_in: httpx.AsyncClient, dana: User
) -> None:
    made = {await insert_request(request_runtime, dana) for _ in range(3)}

    def listed(page: httpx.Response) -> list[str]:
        return re.findall(r'href="/console/requests/([0-9a-f-]{36})"', page.text)

    first = await signed_in.get("/console/requests", params={"limit": 2})
    next_address = page_link(first, "next")
    assert next_address is not None
    second = await signed_in.get(next_address)
    previous_address = page_link(second, "prev")
    assert previous_address is not None
    back = await signed_in.get(previous_address)

    assert len(listed(first)) == 2
    assert "Page 1: requests 1 to 2" in first.text
    assert "more follow" in first.text
    assert len(listed(second)) == 1
    assert {uuid.UUID(i) for i in listed(first) + listed(second)} == made
    assert "Page 2: requests 3 to 3" in second.text
    assert "the last page" in second.text
    assert page_link(second, "next") is None
    assert listed(back) == listed(first)
    for wrong in ({"limit": 201}, {"limit": 0}, {"cursor": "nope"}, {"limit": "many"}):
        refused = await signed_in.get("/console/requests", params=wrong)
        assert refused.status_code == 422, wrong
        assert "<html" in refused.text
