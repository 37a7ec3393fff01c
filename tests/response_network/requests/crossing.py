"""Both networks in one test: requests submitted on the request network cross to the master
and its responses come back, through real batch files (no processes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from core.db import utcnow
from request_network.auth.service import build_token_issuer
from request_network.requests.models import Request as SubmittedRequest
from request_network.requests.models import RequestEvent
from request_network.settings import RequestSettings
from response_network.requests.stream import apply_request_records
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from shared.records import RequestRecord, RequestsStreamRecord
from tests.response_network.requests.conftest import Master
from tests.shared.exchange.conftest import Networks

Headers = dict[str, str]


@dataclass
class Crossing:
    networks: Networks
    master: Master
    owner: Headers
    """The master's requester, logged in on the request network."""

    async def submit(self, request_type: str = "echo") -> uuid.UUID:
        """A request as `POST /requests` stores it (`pending`), owned by the requester."""
        now = utcnow()
        request = SubmittedRequest(
            id=uuid.uuid4(),
            owner_id=self.master.owner_id,
            request_type=request_type,
            type_version=1,
            parameters={"q": "crossing"},
            priority=5,
            status="pending",
            request_hash="0" * 64,
            created_at=now,
            updated_at=now,
        )
        async with self.networks.request.unit_of_work() as uow:
            uow.session.add(request)
        return request.id

    async def to_master(self) -> None:
        await export_all(self.networks.request_ctx)
        await import_pending(self.networks.response_ctx)

    async def back(self) -> None:
        await export_all(self.networks.response_ctx)
        await import_pending(self.networks.request_ctx)

    async def seen_here(self, request_id: uuid.UUID) -> tuple[str, list[str]]:
        """The request network's status of the request, and its history."""
        async with self.networks.request.unit_of_work() as uow:
            request = await uow.session.get(SubmittedRequest, request_id)
            assert request is not None
            events = await uow.session.scalars(
                select(RequestEvent.status)
                .where(RequestEvent.request_id == request_id)
                .order_by(RequestEvent.id)
            )
            return request.status, list(events)


async def crossing(networks: Networks, master: Master, settings: RequestSettings) -> Crossing:
    """The master's users (the requester among them) reach the request network first."""
    await export_all(networks.response_ctx)
    await import_pending(networks.request_ctx)
    token = build_token_issuer(settings).issue(str(master.owner_id))[0]
    return Crossing(networks, master, {"Authorization": f"Bearer {token}"})


async def cancel_on_master(master: Master, request_id: uuid.UUID) -> None:
    """The request's next version arrives with its owner's cancellation."""
    request = await master.request(request_id)
    record = RequestRecord(
        id=request.id,
        owner_id=request.owner_id,
        request_type=request.request_type,
        type_version=request.type_version,
        parameters=request.parameters,
        priority=request.priority,
        submitted_at=request.submitted_at,
        cancel_requested_at=utcnow(),
        version=request.version + 1,
    )
    async with master.runtime.unit_of_work() as uow:
        await apply_request_records(uow.session, [RequestsStreamRecord(record)])
