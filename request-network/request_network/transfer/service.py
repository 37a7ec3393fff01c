"""The request network's side of the transfer: its streams, ledger and context."""

from __future__ import annotations

from request_network.audit.models import AuditEvent
from request_network.catalog.stream import catalog_inbound
from request_network.requests.stream import REQUESTS_OUT
from request_network.responses.stream import responses_inbound
from request_network.runtime import RequestRuntime
from request_network.transfer.models import LEDGER
from request_network.users.models import PasswordChange
from request_network.users.stream import load_password_changes, users_inbound
from shared.exchange.context import TransferContext
from shared.exchange.wiring import audit_hook, build_context
from shared.streams import StreamRegistry, outbound_of


def stream_registry(runtime: RequestRuntime) -> StreamRegistry:
    """Streams this network imports (users, catalog, responses) and exports (requests and
    password changes).

    The `responses` import invalidates the runtime's response cache as it applies; the
    `catalog` import, once committed, the catalog rows every process keeps for submissions.
    """
    responses_in = responses_inbound(runtime.response_cache)
    users_in = users_inbound(runtime.principals.clear)
    catalog_in = catalog_inbound(runtime.catalog.changed)
    # Users' own password changes travel with their requests: the only way upstream.
    requests_out = outbound_of(
        REQUESTS_OUT.name,
        REQUESTS_OUT.load,
        load_password_changes,
        models=(*REQUESTS_OUT.models, PasswordChange),
    )
    return StreamRegistry(
        outbound={requests_out.name: requests_out},
        inbound={
            users_in.name: users_in,
            catalog_in.name: catalog_in,
            responses_in.name: responses_in,
        },
    )


def transfer_context(runtime: RequestRuntime) -> TransferContext:
    return build_context(
        runtime,
        ledger=LEDGER,
        streams=stream_registry(runtime),
        audit=audit_hook(AuditEvent),
    )
