"""The request network's declarative base; its metadata is the one Alembic migrates."""

from __future__ import annotations

import importlib

from sqlalchemy.orm import DeclarativeBase

from core.db import make_metadata

MODEL_MODULES = (
    "request_network.users.models",
    "request_network.auth.models",
    "request_network.api_keys.models",
    "request_network.audit.models",
    "request_network.operations.models",
    "request_network.transfer.models",
    "request_network.catalog.models",
    "request_network.requests.models",
    "request_network.responses.models",
    "request_network.alerts.models",
)


class Base(DeclarativeBase):
    metadata = make_metadata()


def load_models() -> None:
    """Import every model module so `Base.metadata` knows all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
