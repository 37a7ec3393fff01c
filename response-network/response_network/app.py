"""The response network's API (:8000)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.app import create_network_app
from core.metrics import OLDEST_UNANSWERED, oldest_age_probe
from core.security import LoginThrottle
from response_network.alerts.models import TABLES as ALERT_TABLES
from response_network.api_keys.router import admin_router as admin_api_keys_router
from response_network.api_keys.router import router as api_keys_router
from response_network.audit.models import AuditEvent
from response_network.audit.router import router as audit_router
from response_network.auth.service import build_token_issuer, check_password
from response_network.catalog.router import grants_router, profiles_router, types_router
from response_network.console import install as install_console
from response_network.deps import get_current_actor, require_admin
from response_network.jobs import registry
from response_network.requests.models import UNANSWERED, Request
from response_network.requests.router import admin_router as admin_requests_router
from response_network.requests.router import router as requests_router
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context
from response_network.users.models import User
from response_network.users.router import admin_router as admin_users_router
from response_network.users.router import router as users_router
from response_network.users.router import session_router as own_account_router
from shared.exchange.context import open_gaps_probe
from shared.platform.account import logout_router
from shared.platform.alerts.api import install_alerts
from shared.platform.alerts.metrics import alert_probe
from shared.platform.login import login_router
from shared.platform.operations import operations_routers

DESCRIPTION = (
    "The master side of Airlock: owns users and the catalog, receives requests through "
    "the transfer directory and answers them."
)


ROUTERS = [
    login_router(check_password, AuditEvent),
    logout_router(User, AuditEvent),
    users_router,
    own_account_router,
    api_keys_router,
    admin_users_router,
    admin_api_keys_router,
    types_router,
    profiles_router,
    grants_router,
    requests_router,
    admin_requests_router,
    audit_router,
    *operations_routers(
        transfer_context, ALERT_TABLES.alert, admin=require_admin, actor=get_current_actor
    ),
]
"""Declared once per process and added to each app as they are (`core.app.add_routes`)."""


def create_app(
    settings: ResponseSettings | None = None, runtime: ResponseRuntime | None = None
) -> FastAPI:
    settings = settings or ResponseSettings()
    runtime = runtime or ResponseRuntime.build(settings, registry)
    app = create_network_app(
        title="Airlock response network",
        description=DESCRIPTION,
        version=version("airlock"),
        runtime=runtime,
        routers=ROUTERS,
        metrics_probes=[
            oldest_age_probe(
                *OLDEST_UNANSWERED,
                session_factory=runtime.session_factory,
                since=Request.submitted_at,
                where=Request.status.in_(UNANSWERED),
            ),
            open_gaps_probe(lambda: transfer_context(runtime)),
            alert_probe(runtime, ALERT_TABLES, transfer_context),
        ],
    )
    # Built once per app: the secret is read (or generated) here, never per request.
    app.state.token_issuer = build_token_issuer(settings)
    app.state.handlers = runtime.handlers
    app.state.login_throttle = LoginThrottle(runtime.cache, settings.login_policy)
    app.state.revocations = runtime.revocations
    if settings.forwarded_allow_ips:
        # What uvicorn does in `core.process.serve`, here too: under any ASGI server (and the
        # test client) the client address follows the setting; after uvicorn's, a no-op.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    install_alerts(app, runtime, tables=ALERT_TABLES, context=transfer_context)
    install_console(app)
    return app
