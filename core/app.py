"""The FastAPI application shell both networks share: lifespan, middleware, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

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
    add_routes(app, health_router)
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
        add_routes(app, router)
    install_openapi(app)
    return app


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """`app.include_router(router)` for a router made with `core.openapi.api_router` and no
    lifespan: its routes join the app's as they were declared.

    `include_router` has the app build each route again (every dependency analysed anew, on
    the first request that walks past it): 0.1-0.3 s of CPU an app, which every app the tests
    build paid. The routes hold nothing of an app (they reach the runtime through the
    request), so the routes a module declares once serve every app of the process.
    """
    for route in router.routes:
        # The one thing the app would have changed: the id. A router made otherwise would
        # publish other operation ids than `core.openapi.operation_id` gives.
        if isinstance(route, APIRoute) and route.generate_unique_id_function is not operation_id:
            raise ValueError(f"{route.path}: its router is not a core.openapi.api_router")
    app.router.routes.extend(router.routes)


def add_lifespan(
    app: FastAPI, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> None:
    """Run `lifespan` inside the app's own (what `include_router` does with a router's)."""
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def both(app: FastAPI) -> AsyncIterator[None]:
        async with outer(app), lifespan(app):
            yield

    app.router.lifespan_context = both
