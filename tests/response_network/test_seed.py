"""The first admin: created once, with the given or a generated password."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.runtime import Runtime
from core.security import verify_password
from response_network.bootstrap import seed_admin
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User


async def _admins(runtime: Runtime[Any]) -> list[User]:
    async with runtime.unit_of_work() as uow:
        return list((await uow.session.execute(select(User))).scalars())


async def test_seed_is_idempotent(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    first = await seed_admin(response_runtime, response_settings)
    second = await seed_admin(response_runtime, response_settings)
    users = await _admins(response_runtime)
    assert (first.created, second.created) == (True, False)
    assert [(u.username, u.role, u.version) for u in users] == [("admin", Role.ADMIN, 1)]
    assert first.generated_password is None
    assert verify_password("correct horse battery staple", users[0].password_hash)[0]


async def test_generated_password_is_returned_once_and_works(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    settings = response_settings.model_copy(update={"admin_password": None})
    seeded = await seed_admin(response_runtime, settings)
    assert seeded.generated_password is not None
    assert len(seeded.generated_password) >= 16
    [admin] = await _admins(response_runtime)
    assert verify_password(seeded.generated_password, admin.password_hash)[0]
    async with response_runtime.unit_of_work() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(User))
    assert count == 1


async def test_the_seeded_admin_logs_in_on_the_request_network_only_when_asked(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> None:
    """Off by default; `airlock dev` asks for it for its development admin."""
    await seed_admin(response_runtime, response_settings)
    [default] = await _admins(response_runtime)
    async with response_runtime.unit_of_work() as uow:
        await uow.session.delete(await uow.session.get(User, default.id))
    dev = response_settings.model_copy(update={"seed_admin_request_network_login": True})
    await seed_admin(response_runtime, dev)
    [for_dev] = await _admins(response_runtime)

    assert (default.request_network_login, for_dev.request_network_login) == (False, True)
