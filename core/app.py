"""The FastAPI application shell both networks share: lifespan, middleware, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from core.http import (
    AnswerObserver,
    RequestContextMiddleware,
    health_router,
    install_error_handlers,
)
from core.metrics import (
    CONTENT_TYPE_LATEST,
    Exposition,
    HttpMetrics,
    Probe,
    ScrapeGuard,
    metrics_for,
)
from core.openapi import install_openapi, operation_id
from core.runtime import Runtime

log = structlog.get_logger(__name__)


def create_network_app(
    *,
    title: str,
    description: str,
    version: str,
    runtime: Runtime[Any],
    routers: Sequence[APIRouter],
    metrics_probes: Sequence[Probe] = (),
) -> FastAPI:
    """Build an app around `runtime`; the lifespan starts its jobs and closes it at the end.

    Metrics follow the settings: at `/metrics`, on their own port, or not at all;
    `metrics_probes` add values read at scrape time.
    """
    settings = runtime.settings
    exposition = (
        Exposition(
            runtime.metrics_registry,
            probes=metrics_probes,
            multiprocess_dir=settings.prometheus_multiproc_dir,
        )
        if settings.metrics_enabled
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_metrics = None
        if exposition is not None and settings.metrics_port is not None:
            stop_metrics = exposition.serve(
                host=settings.metrics_host or settings.host, port=settings.metrics_port
            )
        await runtime.jobs.start()
        try:
            yield
        finally:
            if stop_metrics is not None:
                stop_metrics()
            await runtime.close()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = runtime
    # Filled by what the networks install after this (the alerts' error-rate counter).
    app.state.answer_observers = observers = list[AnswerObserver]()
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        metrics=metrics_for(runtime.metrics_registry, HttpMetrics)
        if exposition is not None
        else None,
        observers=observers,
    )
    app.include_router(health_router(runtime.readiness_checks()))
    if exposition is not None and settings.metrics_port is None:
        guard = ScrapeGuard(
            settings.metrics_token.get_secret_value(), required=settings.metrics_token_required
        )
        if settings.metrics_token_required and not settings.metrics_token.get_secret_value():
            log.warning(
                "metrics_refused",
                reason="set METRICS_TOKEN (scrapers send it as a bearer) or METRICS_PORT",
            )

        @app.get("/metrics", tags=["health"], include_in_schema=False)
        async def metrics(request: Request) -> Response:
            guard.check(request.headers.get("Authorization"))
            return Response(await exposition.render(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    install_openapi(app)
    return app
