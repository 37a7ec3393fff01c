"""Requests cross to the master in batch files; states and answers go back on `responses`."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from core.db import utcnow
from core.jobs import InProcessRunner
from core.runtime import Runtime
from request_network.requests.models import Request as SubmittedRequest
from response_network.jobs import registry
from response_network.requests.models import Request
from response_network.requests.stream import apply_request_records
from response_network.responses.models import Response
from response_network.runtime import ResponseRuntime
from response_network.users.models import User
from shared.exchange.context import TransferContext
from shared.exchange.export import export_all
from shared.exchange.importing import ImportStatus, import_pending
from shared.records import RequestRecord, RequestsStreamRecord, ResponsesStreamRecord
from shared.transfer import open_batch
from tests.response_network.requests.conftest import HeadersFor, Master
from tests.shared.exchange.conftest import Networks, outbox_files


async def submit_on_the_request_network(
    networks: Networks, count: int, **fields: Any
) -> list[uuid.UUID]:
    """Requests as `POST /requests` stores them on the request network, ready to export."""
    now = utcnow()
    requests = [
        SubmittedRequest(
            id=uuid.uuid4(),
            owner_id=fields.get("owner_id", uuid.uuid4()),
            request_type=fields.get("request_type", "echo"),
            type_version=1,
            parameters=fields.get("parameters", {"q": f"question {i}"}),
            priority=fields.get("priority", 5),
            status="pending",
            request_hash="0" * 64,
            created_at=now,
            updated_at=now,
        )
        for i in range(count)
    ]
    async with networks.request.unit_of_work() as uow:
        uow.session.add_all(requests)
    return [request.id for request in requests]


def responses_sent(ctx: TransferContext) -> list[dict[str, Any]]:
    """The `responses` records the request network would receive, verified as it would."""
    records: list[dict[str, Any]] = []
    for path in outbox_files(ctx):
        if not path.name.startswith("responses-"):
            continue
        assert ctx.keys.signing_key is not None
        with open_batch(
            path,
            verify_key=ctx.keys.signing_key.public_key(),
            expected_source="response",
            expected_stream="responses",
        ) as reader:
            records.extend(
                record.root.model_dump(mode="json")
                for record in reader.records(ResponsesStreamRecord)
            )
    return records


async def test_submitted_requests_are_imported_received_and_reimports_change_nothing(
    networks: Networks, master: Master
) -> None:
    ids = await submit_on_the_request_network(networks, 3, priority=7)
    await export_all(networks.request_ctx)

    [imported] = await import_pending(networks.response_ctx)

    assert (imported.status, imported.stream, imported.applied) == (
        ImportStatus.APPLIED,
        "requests",
        3,
    )
    for request_id in ids:
        request, response = await master.request(request_id), await master.response(request_id)
        assert (request.status, request.priority, request.attempts) == ("received", 7, 0)
        assert request.received_at is not None
        assert request.parameters["q"].startswith("question")
        assert (response.status, response.version, response.answer_number) == ("received", 1, 0)
    assert sorted(await master.pending_changes()) == sorted(("response", i) for i in ids)

    # The same batch again (a resend), and the same records applied again: nothing changes.
    processed = networks.response_ctx.processed_dir / imported.file
    shutil.copyfile(processed, networks.response_ctx.inbox_dir / imported.file)
    [again] = await import_pending(networks.response_ctx)
    assert again.status is ImportStatus.DUPLICATE
    async with networks.response.unit_of_work() as uow:
        records = [
            RequestsStreamRecord(
                RequestRecord(
                    id=request.id,
                    owner_id=request.owner_id,
                    request_type=request.request_type,
                    type_version=request.type_version,
                    parameters=request.parameters,
                    priority=request.priority,
                    submitted_at=request.submitted_at,
                    version=request.version,
                )
            )
            for request in await uow.session.scalars(select(Request))
        ]
        outcome = await apply_request_records(uow.session, records)
    assert outcome.applied == 0
    assert len(await master.pending_changes()) == 3
    async with networks.response.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Response)) == 3


async def test_a_newer_version_applies_and_keeps_the_masters_state(master: Master) -> None:
    """Nothing a request record carries may change (see the write-once tests): a newer
    version repeats what was submitted, and only its version is taken."""
    submitted_at = utcnow()
    request_id = await master.arrive("echo", priority=1, submitted_at=submitted_at)
    await master.answer()

    await master.arrive(
        "echo", request_id=request_id, priority=1, submitted_at=submitted_at, version=2
    )

    request = await master.request(request_id)
    assert (request.priority, request.version, request.status) == (1, 2, "answered")
    assert (await master.response(request_id)).answer_number == 1
    assert await master.audit("request.rewrite_refused") == []


async def test_the_responses_stream_carries_each_requests_state_and_answer(
    networks: Networks, master: Master
) -> None:
    answered = await master.arrive("echo", parameters={"q": "sent back"})
    waiting = await master.arrive("manual")
    await master.answer()

    await export_all(networks.response_ctx)

    sent = {record["id"]: record for record in responses_sent(networks.response_ctx)}
    assert set(sent) == {str(answered), str(waiting)}
    assert sent[str(answered)] | {"answered_at": None, "updated_at": None} == {
        "kind": "response",
        "id": str(answered),
        "status": "answered",
        "reason": None,
        "body": {"q": "sent back"},
        "content_type": "application/json",
        "answer_number": 1,
        "answered_by": "handler:echo",
        "answered_at": None,
        "updated_at": None,
        "version": 3,
    }
    assert (sent[str(waiting)]["status"], sent[str(waiting)]["version"]) == ("received", 1)
    assert (await export_all(networks.response_ctx))[-1].batches == [], "nothing left to send"


async def broker_tasks(runtime: Runtime[Any]) -> list[str]:
    """The job names waiting in the real Celery broker (Redis) of the production backend,
    oldest first (the broker pushes new messages at the head of the list)."""
    assert runtime.redis is not None
    messages = await runtime.redis.lrange("airlock.response", 0, -1)  # type: ignore[misc]
    return [json.loads(message)["headers"]["task"] for message in reversed(messages)]


async def test_an_import_gets_new_requests_answered_and_sent_back_at_once(
    networks: Networks, master: Master, response_runtime: ResponseRuntime
) -> None:
    [request_id] = await submit_on_the_request_network(networks, 1, owner_id=master.owner_id)
    await export_all(networks.request_ctx)
    jobs = response_runtime.jobs

    if isinstance(jobs, InProcessRunner):
        # Embedded: the import enqueues the answering run, which enqueues the export.
        await jobs.start()
        await jobs.enqueue("transfer_import")
        await jobs.drain()
    else:
        await registry.get("transfer_import").function(response_runtime)
        assert await broker_tasks(response_runtime) == ["response.answer_requests"]
        await registry.get("answer_requests").function(response_runtime)
        assert (await broker_tasks(response_runtime))[-1] == "response.transfer_export"
        await registry.get("transfer_export").function(response_runtime)

    [sent] = responses_sent(networks.response_ctx)
    assert (sent["id"], sent["status"], sent["body"]) == (
        str(request_id),
        "answered",
        {"q": "question 0"},
    )


async def test_an_operators_answer_leaves_at_once(
    networks: Networks,
    master: Master,
    response_runtime: ResponseRuntime,
    response_client: httpx.AsyncClient,
    admin: User,
    headers: HeadersFor,
) -> None:
    request_id = await master.arrive("manual")
    await export_all(networks.response_ctx)
    seen = {path.name for path in outbox_files(networks.response_ctx)}

    answered = await response_client.post(
        f"/requests/{request_id}/response",
        json={"status": "answered", "body": "done"},
        headers=headers(admin),
    )

    assert answered.status_code == 200
    if isinstance(response_runtime.jobs, InProcessRunner):
        await response_runtime.jobs.drain()
        new: list[Path] = [p for p in outbox_files(networks.response_ctx) if p.name not in seen]
        assert [p.name.split("-")[0] for p in new] == ["responses"]
        assert responses_sent(networks.response_ctx)[-1]["answered_by"] == "root"
    else:
        assert await broker_tasks(response_runtime) == ["response.transfer_export"]
