"""Bring a request network database to a usable state."""

from __future__ import annotations

from pathlib import Path

from core.migrations import upgrade
from request_network.settings import RequestSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: RequestSettings, revision: str = "head") -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(MIGRATIONS, settings.resolved_database_url, revision)
