"""The request network's side of the transfer: its streams, ledger and context."""

from __future__ import annotations

from core.runtime import Runtime
from request_network.audit.models import AuditEvent
from request_network.catalog.stream import CATALOG_IN
from request_network.requests.stream import REQUESTS_OUT
from request_network.settings import RequestSettings
from request_network.transfer.models import LEDGER
from request_network.users.stream import USERS_IN
from shared.exchange.context import TransferContext
from shared.exchange.setup import audit_hook, build_context
from shared.streams import StreamRegistry


def stream_registry() -> StreamRegistry:
    """Streams this network imports (users, catalog, responses) and exports (requests)."""
    return StreamRegistry(
        outbound={REQUESTS_OUT.name: REQUESTS_OUT},
        inbound={USERS_IN.name: USERS_IN, CATALOG_IN.name: CATALOG_IN},
    )


def transfer_context(runtime: Runtime) -> TransferContext:
    settings = runtime.settings
    assert isinstance(settings, RequestSettings)
    return build_context(
        runtime, settings, ledger=LEDGER, streams=stream_registry(), audit=audit_hook(AuditEvent)
    )
