"""Bring a response network database to a usable state: migrate, then seed the admin and
the catalog."""

from __future__ import annotations

from pathlib import Path

from core.migrations import upgrade
from core.runtime import Runtime
from response_network.catalog.seed import ensure_catalog
from response_network.settings import ResponseSettings
from response_network.users.service import AdminSeed, ensure_admin

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: ResponseSettings, revision: str = "head") -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(MIGRATIONS, settings.resolved_database_url, revision)


async def seed_admin(runtime: Runtime, settings: ResponseSettings) -> AdminSeed:
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    async with runtime.unit_of_work() as uow:
        return await ensure_admin(
            session=uow.session,
            username=settings.admin_username,
            email=settings.admin_email,
            password=password,
        )


async def seed_catalog(runtime: Runtime) -> list[str]:
    """The seeded profiles and `echo` type, where missing; returns what was created."""
    async with runtime.unit_of_work() as uow:
        return await ensure_catalog(session=uow.session)
