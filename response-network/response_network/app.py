"""The response network's API (:8000)."""

from __future__ import annotations

from fastapi import FastAPI

from core.app import create_network_app
from core.runtime import Runtime, build_runtime
from response_network.jobs import registry
from response_network.settings import ResponseSettings

DESCRIPTION = (
    "The master side of Airlock: owns users and the catalog, receives requests through "
    "the transfer directory and answers them."
)


def create_app(settings: ResponseSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or ResponseSettings()
    runtime = runtime or build_runtime(settings, registry)
    return create_network_app(
        title="Airlock response network",
        description=DESCRIPTION,
        version="0.1.0",
        runtime=runtime,
        routers=[],
    )
