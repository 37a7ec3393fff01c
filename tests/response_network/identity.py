"""Plain helpers of the response network's identity tests (fixtures are in conftest)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from core.runtime import Runtime
from response_network.audit.models import AuditEvent
from response_network.users.models import User

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


async def audit_events(runtime: Runtime[Any], action: str | None = None) -> list[AuditEvent]:
    async with runtime.unit_of_work() as uow:
        statement = select(AuditEvent).order_by(AuditEvent.occurred_at)
        if action is not None:
            statement = statement.where(AuditEvent.action == action)
        return list((await uow.session.scalars(statement)).all())


async def reload_user(runtime: Runtime[Any], user_id: object) -> User:
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(User, user_id)
        assert user is not None
        return user
