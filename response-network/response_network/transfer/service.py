"""The response network's side of the transfer: its streams, ledger and context."""

from __future__ import annotations

from response_network.audit.models import AuditEvent
from response_network.catalog.stream import CATALOG_OUT
from response_network.requests.stream import REQUESTS_IN, apply_request_records
from response_network.responses.stream import RESPONSES_OUT
from response_network.runtime import ResponseRuntime
from response_network.transfer.models import LEDGER
from response_network.users.stream import USERS_OUT, apply_password_change_records
from shared.exchange.context import TransferContext
from shared.exchange.wiring import audit_hook, build_context
from shared.records import RequestsStreamRecord
from shared.streams import StreamRegistry, inbound_by_kind

REQUESTS_AND_PASSWORDS_IN = inbound_by_kind(
    REQUESTS_IN.name,
    RequestsStreamRecord,
    {"request": apply_request_records, "password_change": apply_password_change_records},
)
"""The `requests` stream also carries users' own password changes (request network)."""


def stream_registry() -> StreamRegistry:
    """Streams this network exports (users, catalog, responses) and imports (requests and
    password changes)."""
    return StreamRegistry(
        outbound={
            USERS_OUT.name: USERS_OUT,
            CATALOG_OUT.name: CATALOG_OUT,
            RESPONSES_OUT.name: RESPONSES_OUT,
        },
        inbound={REQUESTS_AND_PASSWORDS_IN.name: REQUESTS_AND_PASSWORDS_IN},
    )


def transfer_context(runtime: ResponseRuntime) -> TransferContext:
    return build_context(
        runtime, ledger=LEDGER, streams=stream_registry(), audit=audit_hook(AuditEvent)
    )
