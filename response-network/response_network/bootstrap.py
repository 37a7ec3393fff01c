"""Bring a response network database to a usable state: migrate, then seed the admin and
the catalog."""

from __future__ import annotations

from pathlib import Path

from core.migrations import upgrade
from core.runtime import Runtime
from response_network.catalog.seed import ensure_catalog, ensure_demo_types
from response_network.search import search_backend_for
from response_network.search.demo import load_demo
from response_network.settings import ResponseSettings
from response_network.users.service import AdminSeed, ensure_admin

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: ResponseSettings, revision: str = "head") -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(MIGRATIONS, settings.resolved_database_url, revision)


async def seed_admin(runtime: Runtime[ResponseSettings], settings: ResponseSettings) -> AdminSeed:
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    async with runtime.unit_of_work() as uow:
        return await ensure_admin(
            session=uow.session,
            username=settings.admin_username,
            email=settings.admin_email,
            password=password,
            request_network_login=settings.seed_admin_request_network_login,
        )


async def seed_demo(runtime: Runtime[ResponseSettings], settings: ResponseSettings) -> list[str]:
    """Load the demo search index and define a request type over it (idempotent)."""
    backend = search_backend_for(settings)
    try:
        documents = await load_demo(backend)
    finally:
        await backend.close()
    async with runtime.unit_of_work() as uow:
        created = await ensure_demo_types(session=uow.session)
    return [f"demo index equipment ({documents} documents)", *created]


async def seed_catalog(runtime: Runtime[ResponseSettings]) -> list[str]:
    """The seeded profiles and `echo` type, where missing; returns what was created."""
    async with runtime.unit_of_work() as uow:
        return await ensure_catalog(session=uow.session)
