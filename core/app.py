"""The FastAPI application shell both networks share: lifespan, middleware, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from core.http import RequestContextMiddleware, health_router, install_error_handlers, operation_id
from core.metrics import CONTENT_TYPE_LATEST, HttpMetrics, render
from core.runtime import Runtime


def create_network_app(
    *,
    title: str,
    description: str,
    version: str,
    runtime: Runtime,
    routers: Sequence[APIRouter],
    metrics_enabled: bool = True,
) -> FastAPI:
    """Build an app around `runtime`; the lifespan starts its jobs and closes it at the end."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.jobs.start()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=runtime.settings.max_body_bytes,
        metrics=HttpMetrics(runtime.metrics_registry),
    )
    app.include_router(health_router(runtime.readiness_checks()))
    if metrics_enabled:

        @app.get("/metrics", tags=["health"], include_in_schema=False)
        async def metrics() -> Response:
            return Response(render(runtime.metrics_registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app
