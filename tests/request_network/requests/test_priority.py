"""A profile's `max_priority` bounds the priority its users submit: nobody jumps the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from core.runtime import Runtime
from request_network.catalog.models import Profile
from request_network.requests.models import Request
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from tests.request_network.requests.conftest import Submit


async def _set(runtime: Runtime[Any], model: Any, name_or_id: Any, **values: Any) -> None:
    key = model.name if model is Profile else model.id
    async with runtime.unit_of_work() as uow:
        await uow.session.execute(update(model).where(key == name_or_id).values(**values))


async def _stored(runtime: Runtime[Any]) -> int:
    async with runtime.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Request)) or 0)


async def test_a_priority_above_the_profiles_max_is_refused_and_nothing_stored(
    submit: Submit, alice: User, request_runtime: RequestRuntime
) -> None:
    await _set(request_runtime, Profile, "default", max_priority=3)

    refused = await submit(alice, priority=9)
    at_max = await submit(alice, priority=3)

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden.priority")
    assert refused.json()["detail"] == "priority 9 is above the 3 your profile allows"
    assert "ratelimit" in refused.headers  # counted like an admitted submission
    assert at_max.status_code == 201, at_max.text
    assert await _stored(request_runtime) == 1


async def test_a_users_override_replaces_the_profiles_max_priority(
    submit: Submit, alice: User, request_runtime: RequestRuntime
) -> None:
    await _set(request_runtime, Profile, "default", max_priority=3)
    await _set(request_runtime, User, alice.id, limit_overrides={"max_priority": 8})

    assert (await submit(alice, priority=8)).status_code == 201
    assert (await submit(alice, priority=9)).json()["code"] == "forbidden.priority"
