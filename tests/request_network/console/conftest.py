"""A signed-in console session on the request network, as a browser holds it."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from core.audit import Actor, AuditEventMixin, record_audit
from core.runtime import Runtime
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.conftest import PASSWORD, ReplicaUserFactory
from tests.request_network.responses.conftest import (  # noqa: F401 - answers for the pages
    apply_responses,
    import_responses,
)

FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 20, "title": "City"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "unit": {"enum": ["metric", "imperial"]},
        "hourly": {"type": "boolean"},
    },
    "required": ["city", "days"],
    "additionalProperties": False,
}

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


async def poke(runtime: Runtime[Any], model: type[AuditEventMixin], count: int) -> None:
    """`count` audit events `test.poked` by `cli`, on objects `thing thing-<n>`."""
    async with runtime.unit_of_work() as uow:
        for number in range(count):
            record_audit(
                session=uow.session,
                model=model,
                actor=Actor(id=None, name="cli"),
                action="test.poked",
                object_type="thing",
                object_id=f"thing-{number}",
            )


OPERATIONS_LINKS = ["Transfer", "Audit", "Alerts", "Tasks"]
"""The pages both networks mount, as the last links of an admin's navigation on either."""


def nav_links(page: httpx.Response) -> list[str]:
    nav = page.text.split('<nav aria-label="Console">')[1].split("</nav>")[0]
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', nav)


def page_link(page: httpx.Response, rel: str) -> str | None:
    """The address of a paged list's `rel` ("next" or "prev") link, if the page has one."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page.text)
    return html.unescape(found.group(1)) if found else None


async def log_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page)},
    )


@pytest.fixture
async def forecast(request_runtime: RequestRuntime) -> None:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("forecast", title="Weather forecast", parameter_schema=FORM_SCHEMA),
                replica_profile(allow_all=True, max_parameter_bytes=10_000),
            ]
        )


@pytest.fixture
async def dana(replica_user: ReplicaUserFactory, forecast: None) -> User:
    return await replica_user("dana")


@pytest.fixture
async def signed_in(request_client: httpx.AsyncClient, dana: User) -> httpx.AsyncClient:
    response = await log_in(request_client, "dana")
    assert response.status_code == 303, response.text
    return request_client


@pytest.fixture(params=["production"])
def backend(request: pytest.FixtureRequest) -> str:
    """Pages on PostgreSQL + Redis only: they shape what the services answer, and those are
    tested on both backends; the browser stories run the consoles embedded."""
    return str(request.param)
