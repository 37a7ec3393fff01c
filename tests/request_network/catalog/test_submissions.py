"""What a user may submit: the synced profile, grants and parameter schema decide, locally."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from core.db import utcnow
from core.errors import Forbidden, Invalid
from core.runtime import Runtime
from core.security import TokenIssuer
from request_network.catalog.models import Grant, Profile, RequestType
from request_network.catalog.service import check_submission
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.conftest import ReplicaUserFactory

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 50},
        "filters": {
            "type": "object",
            "properties": {"year": {"type": "integer", "minimum": 1900, "maximum": 2100}},
        },
    },
    "required": ["city"],
    "additionalProperties": False,
}


def replica_type(name: str, **fields: Any) -> RequestType:
    now = utcnow()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": name,
        "title": name.title(),
        "description": "",
        "active": True,
        "handler": "echo",
        "parameter_schema": SCHEMA,
        "expected_answer_seconds": 30,
        "max_results": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }
    return RequestType(**(values | fields))


def replica_profile(name: str = "default", **fields: Any) -> Profile:
    now = utcnow()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": name,
        "description": "",
        "limits": {},
        "type_limits": {},
        "allow_all": False,
        "allowed_types": [],
        "blocked_types": [],
        "max_results": 100,
        "max_parameter_bytes": 200,
        "max_priority": 9,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    return Profile(**(values | fields))


@pytest.fixture
async def catalog(request_runtime: RequestRuntime, replica_user: ReplicaUserFactory) -> User:
    """Types weather (allowed), census (blocked), secret (granted), old (deleted), off."""
    user = await replica_user("carol")
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("weather"),
                replica_type("census"),
                replica_type("secret"),
                replica_type("old", deleted_at=utcnow()),
                replica_type("off", active=False),
                replica_profile(allow_all=True, blocked_types=["census"]),
                Grant(
                    id=uuid.uuid4(),
                    user_id=user.id,
                    request_type="secret",
                    limits={},
                    version=1,
                    created_at=utcnow(),
                    revoked_at=None,
                ),
            ]
        )
    return user


async def check(
    runtime: Runtime[Any], user: User, request_type: str, parameters: dict[str, Any]
) -> str:
    async with runtime.unit_of_work() as uow:
        return (
            await check_submission(
                session=uow.session,
                user=user,
                request_type=request_type,
                parameters=parameters,
            )
        ).name


async def test_allowed_and_granted_types_pass(
    request_runtime: RequestRuntime, catalog: User
) -> None:
    assert await check(request_runtime, catalog, "weather", {"city": "Oslo"}) == "weather"
    assert await check(request_runtime, catalog, "secret", {"city": "Oslo"}) == "secret"


@pytest.mark.parametrize(
    ("request_type", "error", "code"),
    [
        ("nope", Invalid, "invalid.request_type"),
        ("old", Invalid, "invalid.request_type"),
        ("off", Invalid, "invalid.request_type"),
        ("census", Forbidden, "forbidden.request_type"),
    ],
)
async def test_unknown_deleted_inactive_and_blocked_types_are_refused(
    request_runtime: RequestRuntime,
    catalog: User,
    request_type: str,
    error: type[Exception],
    code: str,
) -> None:
    with pytest.raises(error) as raised:
        await check(request_runtime, catalog, request_type, {"city": "Oslo"})
    assert getattr(raised.value, "code", None) == code


async def test_a_deleted_type_says_so(request_runtime: RequestRuntime, catalog: User) -> None:
    with pytest.raises(Invalid, match="was deleted"):
        await check(request_runtime, catalog, "old", {"city": "Oslo"})


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({}, "parameters"),
        ({"city": 3}, "parameters.city"),
        ({"city": "Oslo", "filters": {"year": 1066}}, "parameters.filters.year"),
        ({"city": "Oslo", "extra": "'; DROP TABLE x; --"}, "parameters"),
    ],
)
async def test_parameters_failing_the_schema_name_the_field(
    request_runtime: RequestRuntime, catalog: User, parameters: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        await check(request_runtime, catalog, "weather", parameters)
    assert (raised.value.code, raised.value.extra["field"]) == ("invalid.parameters", field)
    assert raised.value.detail.startswith(field)


async def test_parameters_over_the_profile_size_are_refused(
    request_runtime: RequestRuntime, catalog: User
) -> None:
    with pytest.raises(Invalid) as raised:
        await check(request_runtime, catalog, "weather", {"city": "x" * 40, "pad": "y" * 300})
    assert raised.value.code == "invalid.parameters_size"


async def test_get_request_types_lists_what_the_user_may_submit(
    request_client: httpx.AsyncClient, catalog: User, request_tokens: TokenIssuer
) -> None:
    token = request_tokens.issue(str(catalog.id))[0]
    answer = await request_client.get(
        "/request-types", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    assert [t["name"] for t in answer.json()] == ["secret", "weather"]
    assert answer.json()[1] == {
        "name": "weather",
        "title": "Weather",
        "description": "",
        "parameter_schema": SCHEMA,
        "expected_answer_seconds": 30,
        "version": 1,
    }


async def test_a_user_without_a_synced_profile_sees_only_grants(
    request_runtime: RequestRuntime, replica_user: ReplicaUserFactory
) -> None:
    user = await replica_user("dave")
    async with request_runtime.unit_of_work() as uow:
        uow.session.add(replica_type("weather"))
    with pytest.raises(Forbidden):
        await check(request_runtime, user, "weather", {"city": "Oslo"})
