"""`run_chains` runs Schemathesis's cross-step checks: on a test-only app whose DELETE leaves
the resource readable (`use_after_free`), or whose create cannot be read back
(`ensure_resource_availability`), the chains fail; on the same app done right, they pass."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
import pytest
import schemathesis
from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import EnsureResourceAvailability, UseAfterFree

from tests.in_process import BASE_URL, Api, in_process_session, run_chains

Flaw = Literal["none", "delete keeps it", "create loses it"]


class ThingCreate(BaseModel):
    name: str


class Thing(BaseModel):
    id: uuid.UUID
    name: str


def things_app(flaw: Flaw) -> FastAPI:
    app = FastAPI()
    things: dict[uuid.UUID, Thing] = {}
    missing: dict[int | str, dict[str, Any]] = {404: {"description": "No such thing"}}

    malformed: dict[int | str, dict[str, Any]] = {400: {"description": "A body that is not JSON"}}

    @app.post("/things", status_code=status.HTTP_201_CREATED, responses=malformed)
    async def create_thing(data: ThingCreate) -> Thing:
        thing = Thing(id=uuid.uuid4(), name=data.name)
        if flaw != "create loses it":
            things[thing.id] = thing
        return thing

    @app.get("/things/{thing_id}", responses=missing)
    async def get_thing(thing_id: uuid.UUID) -> Thing:
        if thing_id not in things:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        return things[thing_id]

    @app.delete("/things/{thing_id}", status_code=status.HTTP_204_NO_CONTENT, responses=missing)
    async def delete_thing(thing_id: uuid.UUID) -> None:
        if thing_id not in things:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        if flaw != "delete keeps it":
            del things[thing_id]

    return app


@pytest.fixture
async def things(request: pytest.FixtureRequest) -> AsyncIterator[tuple[FastAPI, Api]]:
    app = things_app(request.param)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        with in_process_session(client, asyncio.get_running_loop()) as session:
            yield app, Api(session, tokens={}, keys={}, roles={})


@pytest.mark.parametrize("things", ["none"], indirect=True)
def test_chains_pass_on_an_api_that_keeps_what_it_says(things: tuple[FastAPI, Api]) -> None:
    app, api = things
    answered = run_chains(schemathesis.openapi.from_dict(app.openapi()), api)

    # The chains went through the links: what was created was read, then deleted, then gone.
    assert answered[("GET /things/{thing_id}", 200)] > 0
    assert answered[("DELETE /things/{thing_id}", 204)] > 0
    assert answered[("GET /things/{thing_id}", 404)] > 0


@pytest.mark.parametrize(
    ("things", "caught"),
    [("delete keeps it", UseAfterFree), ("create loses it", EnsureResourceAvailability)],
    indirect=["things"],
)
def test_chains_fail_on_a_resource_used_after_deletion_or_created_unreadable(
    things: tuple[FastAPI, Api], caught: type[Exception]
) -> None:
    app, api = things
    with pytest.raises(FailureGroup) as failed:
        run_chains(schemathesis.openapi.from_dict(app.openapi()), api)

    assert [type(failure) for failure in failed.value.exceptions] == [caught]
