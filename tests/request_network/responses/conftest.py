"""Requests on the replica and the master's responses to them, applied as the import does."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, select

from core.db import utcnow
from core.runtime import Runtime
from core.security import TokenIssuer
from request_network.requests.models import Request, RequestEvent, RequestStatus
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.exchange.importing import ImportResult, import_pending
from shared.exchange.keys import peer_key_path
from shared.records import ResponseRecord, ResponsesStreamRecord
from shared.streams import ApplyOutcome
from shared.transfer import generate_signing_key, save_public_key, write_batches
from tests.request_network.conftest import ReplicaUserFactory

Headers = dict[str, str]


@pytest.fixture
def auth(request_tokens: TokenIssuer) -> Callable[[User], Headers]:
    def headers(user: User) -> Headers:
        return {"Authorization": f"Bearer {request_tokens.issue(str(user.id))[0]}"}

    return headers


@pytest.fixture
async def alice(replica_user: ReplicaUserFactory) -> User:
    return await replica_user("alice")


@pytest.fixture
async def bob(replica_user: ReplicaUserFactory) -> User:
    return await replica_user("bob")


@pytest.fixture
async def admin(replica_user: ReplicaUserFactory) -> User:
    return await replica_user("root", role="admin")


async def insert_request(
    runtime: Runtime[Any],
    owner: User,
    *,
    status: RequestStatus = RequestStatus.EXPORTED,
    request_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A submitted request as the replica holds it once exported."""
    now = utcnow()
    request = Request(
        id=request_id or uuid.uuid4(),
        owner_id=owner.id,
        request_type="weather",
        type_version=1,
        parameters={"city": "Oslo"},
        priority=5,
        status=status,
        request_hash=hashlib.sha256(b"{}").hexdigest(),
        created_at=now,
        updated_at=now,
    )
    async with runtime.unit_of_work() as uow:
        uow.session.add(request)
    return request.id


def response(
    request_id: uuid.UUID,
    *,
    status: str = "answered",
    version: int = 1,
    answer_number: int | None = None,
    body: Any = None,
    reason: str | None = None,
    content_type: str | None = "application/json",
) -> ResponsesStreamRecord:
    """A `responses` line; an answered one carries a body naming its answer number."""
    answered = status in ("answered", "failed", "rejected")
    number = answer_number if answer_number is not None else (1 if answered else 0)
    now = utcnow()
    return ResponsesStreamRecord(
        ResponseRecord(
            id=request_id,
            status=status,
            reason=reason,
            body=body if body is not None or not answered else {"answer": number},
            content_type=content_type if answered else None,
            answer_number=number,
            answered_by="handler:echo" if answered else None,
            answered_at=now - timedelta(seconds=1) if answered else None,
            updated_at=now,
            version=version,
        )
    )


ApplyResponses = Callable[..., Awaitable[ApplyOutcome]]


@pytest.fixture
def apply_responses(request_runtime: RequestRuntime) -> ApplyResponses:
    """Apply records through the registered stream, in one committed unit of work."""

    async def apply(*records: ResponsesStreamRecord) -> ApplyOutcome:
        stream = transfer_context(request_runtime).streams.inbound["responses"]
        async with request_runtime.unit_of_work() as uow:
            return await stream.apply(uow.session, list(records))

    return apply


ImportResponses = Callable[..., Awaitable[list[ImportResult]]]


@pytest.fixture
def import_responses(
    request_runtime: RequestRuntime, request_settings: RequestSettings
) -> ImportResponses:
    """Write a real `responses` batch signed as the master and import it."""
    key: Ed25519PrivateKey = generate_signing_key()
    save_public_key(key.public_key(), peer_key_path(request_settings))
    sequence = 0

    async def run(*records: ResponsesStreamRecord) -> list[ImportResult]:
        nonlocal sequence
        sequence += 1
        ctx = transfer_context(request_runtime)
        ctx.ensure_dirs()
        write_batches(
            records,
            stream="responses",
            source_network="response",
            directory=ctx.inbox_dir,
            signing_key=key,
            first_sequence=sequence,
        )
        return await import_pending(ctx)

    return run


async def history(runtime: Runtime[Any], request_id: uuid.UUID) -> list[tuple[str, str | None]]:
    async with runtime.unit_of_work() as uow:
        events = await uow.session.execute(
            select(RequestEvent.status, RequestEvent.reason)
            .where(RequestEvent.request_id == request_id)
            .order_by(RequestEvent.id)
        )
        return [(row.status, row.reason) for row in events]


async def stored_request(runtime: Runtime[Any], request_id: uuid.UUID) -> Request:
    async with runtime.unit_of_work() as uow:
        request = await uow.session.get(Request, request_id)
        assert request is not None
        return request


def loads(runtime: Runtime[Any]) -> float:
    return runtime.metrics_registry.get_sample_value("airlock_response_cache_loads_total") or 0.0


def misses(runtime: Runtime[Any]) -> float:
    return runtime.metrics_registry.get_sample_value("airlock_response_cache_misses_total") or 0.0


@contextmanager
def counted_statements(runtime: RequestRuntime) -> Iterator[list[str]]:
    """The SQL statements the runtime's engine runs inside the block (a real count, no mock)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().split(" ", 1)[0].upper() in WRITE_VERBS]


WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE"})
