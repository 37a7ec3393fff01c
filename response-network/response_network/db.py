"""The response network's declarative base; its metadata is the one Alembic migrates."""

from __future__ import annotations

import importlib

from sqlalchemy.orm import DeclarativeBase

from core.db import make_metadata

MODEL_MODULES = (
    "response_network.users.models",
    "response_network.auth.models",
    "response_network.api_keys.models",
    "response_network.audit.models",
    "response_network.operations.models",
    "response_network.transfer.models",
    "response_network.catalog.models",
    "response_network.requests.models",
    "response_network.responses.models",
    "response_network.alerts.models",
)


class Base(DeclarativeBase):
    metadata = make_metadata()


def load_models() -> None:
    """Import every model module so `Base.metadata` knows all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
