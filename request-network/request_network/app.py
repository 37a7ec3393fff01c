"""The request network's API (:8001)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.app import create_network_app
from core.metrics import OLDEST_UNANSWERED, oldest_age_probe
from core.ratelimit import build_rate_limiter
from core.security import LoginThrottle
from request_network.alerts.models import TABLES as ALERT_TABLES
from request_network.audit.models import AuditEvent
from request_network.audit.router import router as audit_router
from request_network.auth.service import build_token_issuer, check_password
from request_network.catalog.router import router as catalog_router
from request_network.console import install as install_console
from request_network.deps import get_current_actor, require_admin
from request_network.jobs import registry
from request_network.requests.models import UNANSWERED, Request
from request_network.requests.router import admin_router as admin_requests_router
from request_network.requests.router import router as requests_router
from request_network.responses.cache_router import router as cache_router
from request_network.responses.router import router as responses_router
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from request_network.users.router import admin_router as admin_users_router
from request_network.users.router import router as users_router
from request_network.users.router import session_router as own_account_router
from shared.exchange.context import open_gaps_probe
from shared.platform.account import logout_router
from shared.platform.alerts.api import install_alerts
from shared.platform.alerts.metrics import alert_probe
from shared.platform.login import login_router
from shared.platform.operations import operations_routers

DESCRIPTION = (
    "The exposed side of Airlock: users log in, submit typed requests and read the answers "
    "that come back through the transfer directory."
)


ROUTERS = [
    # First: routes are matched in order, and this holds the hottest one.
    responses_router,
    login_router(check_password, AuditEvent),
    logout_router(User, AuditEvent),
    users_router,
    admin_users_router,
    own_account_router,
    catalog_router,
    requests_router,
    admin_requests_router,
    cache_router,
    audit_router,
    *operations_routers(
        transfer_context, ALERT_TABLES.alert, admin=require_admin, actor=get_current_actor
    ),
]
"""Declared once per process and added to each app as they are (`core.app.add_routes`)."""


def create_app(
    settings: RequestSettings | None = None, runtime: RequestRuntime | None = None
) -> FastAPI:
    settings = settings or RequestSettings()
    runtime = runtime or RequestRuntime.build(settings, registry)
    app = create_network_app(
        title="Airlock request network",
        description=DESCRIPTION,
        version=version("airlock"),
        runtime=runtime,
        routers=ROUTERS,
        metrics_probes=[
            oldest_age_probe(
                *OLDEST_UNANSWERED,
                session_factory=runtime.session_factory,
                since=Request.created_at,
                where=Request.status.in_(UNANSWERED),
            ),
            open_gaps_probe(lambda: transfer_context(runtime)),
            alert_probe(runtime, ALERT_TABLES, transfer_context),
        ],
    )
    # Built once per app: the secret is read (or generated) here, never per request.
    app.state.token_issuer = build_token_issuer(settings)
    app.state.login_throttle = LoginThrottle(runtime.cache, settings.login_policy)
    app.state.revocations = runtime.revocations
    if settings.forwarded_allow_ips:
        # What uvicorn does in `core.process.serve`, here too: under any ASGI server (and the
        # test client) the client address follows the setting; after uvicorn's, a no-op.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.state.rate_limiter = build_rate_limiter(
        namespace=settings.network_name,
        redis=runtime.redis,
        fail_open=settings.rate_limit_fail_open,
    )
    install_alerts(app, runtime, tables=ALERT_TABLES, context=transfer_context)
    install_console(app)
    return app
