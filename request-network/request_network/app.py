"""The request network's API (:8001)."""

from __future__ import annotations

from fastapi import FastAPI

from core.app import create_network_app
from core.runtime import Runtime, build_runtime
from request_network.jobs import registry
from request_network.settings import RequestSettings

DESCRIPTION = (
    "The exposed side of Airlock: users log in, submit typed requests and read the answers "
    "that come back through the transfer directory."
)


def create_app(settings: RequestSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or RequestSettings()
    runtime = runtime or build_runtime(settings, registry)
    return create_network_app(
        title="Airlock request network",
        description=DESCRIPTION,
        version="0.1.0",
        runtime=runtime,
        routers=[],
    )
