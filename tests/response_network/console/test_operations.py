"""The admin's operations pages: overview, transfer (requeue, declare lost, paged batches),
audit, alerts and tasks, over the same services and checks as `/admin/...`."""

from __future__ import annotations

import re
import shutil
import uuid
from collections import Counter
from datetime import datetime, timedelta

import httpx

from core.db import utcnow
from core.job_runs import JobRun, record_job_run
from response_network.alerts.models import Alert
from response_network.audit.models import AuditEvent
from response_network.runtime import ResponseRuntime
from response_network.transfer.models import InboundGap, InboxBatch, OutboxBatch
from response_network.transfer.service import transfer_context
from response_network.users.models import User
from shared.exchange.importing import ImportStatus, import_pending
from shared.exchange.keys import generate_keys, peer_key_path, public_key_path
from tests.request_network.console.conftest import (
    OPERATIONS_LINKS,
    csrf_of,
    nav_links,
    page_link,
    poke,
)
from tests.response_network.console.conftest import signed_in_as

BATCH = "requests-000000000007-" + "ab" * 16 + ".tar.gz"


async def quarantine_a_batch(runtime: ResponseRuntime) -> str:
    """A file that is no batch, dropped in the inbox and imported: refused for real."""
    generate_keys(runtime.settings)
    # Any peer key will do: the file is refused before its signature is looked at.
    shutil.copyfile(public_key_path(runtime.settings), peer_key_path(runtime.settings))
    ctx = transfer_context(runtime)
    ctx.ensure_dirs()
    (ctx.inbox_dir / BATCH).write_bytes(b"not a tar file")
    [result] = await import_pending(ctx)
    assert result.status == ImportStatus.QUARANTINED
    return BATCH


async def test_an_admin_requeues_a_quarantined_batch_and_it_is_audited(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    name = await quarantine_a_batch(response_runtime)
    client = await signed_in_as(response_client, "ada")
    page = await client.get("/console/transfer")
    assert page.status_code == 200
    assert f"<td>{name}</td>" in page.text
    assert f'aria-label="Requeue {name}"' in page.text

    requeued = await client.post(
        f"/console/transfer/quarantine/{name}/requeue", data={"csrf_token": csrf_of(page)}
    )
    assert requeued.status_code == 303
    after = await client.get(requeued.headers["location"])
    assert f"Requeued {name}" in after.text
    assert "No batch is in quarantine." in after.text
    assert (transfer_context(response_runtime).inbox_dir / name).exists()
    audit = await client.get("/console/audit", params={"action": "transfer.batch_requeued"})
    requeued_by_ada = rf"<td>ada</td><td>transfer.batch_requeued</td>\s*<td>batch {name}"
    assert re.search(requeued_by_ada, audit.text)

    again = await client.post(
        f"/console/transfer/quarantine/{name}/requeue", data={"csrf_token": csrf_of(page)}
    )
    assert again.status_code == 404
    assert "no quarantined batch" in again.text


async def test_an_admin_declares_a_gap_lost(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    peer = transfer_context(response_runtime).peer
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(InboundGap(source=peer, stream="requests", sequence=4, noticed_at=utcnow()))
    client = await signed_in_as(response_client, "ada")
    page = await client.get("/console/transfer")
    assert 'aria-label="Declare requests 4 lost"' in page.text

    lost = await client.post(
        "/console/transfer/gaps/requests/4/lost", data={"csrf_token": csrf_of(page)}
    )
    assert lost.status_code == 303
    after = await client.get(lost.headers["location"])
    assert "No open gap." in after.text
    assert re.search(r'id="lost-gaps".*<td>requests</td><td>4</td>.*<td>ada</td>', after.text, re.S)
    again = await client.post(
        "/console/transfer/gaps/requests/4/lost", data={"csrf_token": csrf_of(page)}
    )
    assert again.status_code == 404


def sent_at(now: datetime, sequence: int) -> datetime:
    return now - timedelta(minutes=31 - sequence)


async def test_batches_are_paged_and_the_overview_charts_them(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    peer = transfer_context(response_runtime).peer
    now = utcnow()
    async with response_runtime.unit_of_work() as uow:
        for sequence in range(1, 31):
            uow.session.add(
                OutboxBatch(
                    id=uuid.uuid4(),
                    stream="responses",
                    sequence=sequence,
                    file_name=f"responses-{sequence}",
                    sha256="0" * 64,
                    record_count=2,
                    byte_count=10,
                    created_at=sent_at(now, sequence),
                )
            )
        uow.session.add(
            InboxBatch(
                id=uuid.uuid4(),
                source=peer,
                stream="requests",
                sequence=1,
                file_name="requests-1",
                sha256="0" * 64,
                record_count=5,
                applied_count=5,
                created_at=now - timedelta(seconds=3),
                applied_at=now,
            )
        )
    client = await signed_in_as(response_client, "ada")
    first = await client.get("/console/transfer")
    sent = re.search(r'<table id="sent">.*?</table>', first.text, re.S)
    assert sent is not None
    assert sent.group().count("<tr>") == 26
    assert "<td>responses</td><td>30</td>" in first.text
    older = re.search(r'<a href="([^"]+)">Older sent batches</a>', first.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert "<td>responses</td><td>5</td>" in second.text
    assert "<td>responses</td><td>6</td>" not in second.text
    assert "Older sent batches" not in second.text

    overview = await client.get("/console/overview")
    assert overview.status_code == 200
    assert 'aria-label="Batches per hour, last 24 hours (UTC), highest' in overview.text
    # Each bar counts both ways: 30 batches of 2 records sent, one of 5 received.
    batches, records = Counter[str](), Counter[str]()
    for sequence in range(1, 31):
        batches[sent_at(now, sequence).strftime("%H:00")] += 1
        records[sent_at(now, sequence).strftime("%H:00")] += 2
    batches[now.strftime("%H:00")] += 1
    records[now.strftime("%H:00")] += 5
    for hour, count in batches.items():
        assert f"<title>{hour}: {count}</title>" in overview.text
        assert f"<title>{hour}: {records[hour]}</title>" in overview.text
    inbound = r'id="inbound".*<td>requests</td><td>1</td>.*<td>3.0&nbsp;s</td>'
    assert re.search(inbound, overview.text, re.S)


async def test_the_overview_shows_requests_alerts_and_workers(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    now = utcnow()
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(open_alert("quarantine", "requests", now))
    client = await signed_in_as(response_client, "ada")
    page = await client.get("/console/overview")
    assert nav_links(page)[-4:] == OPERATIONS_LINKS  # as on the request network
    assert re.search(r'id="request-counts".*<th scope="col">received</th>', page.text, re.S)
    assert "none waiting" in page.text
    assert "quarantine (requests): 1 batch in quarantine" in page.text
    assert "Runner: " in page.text


def open_alert(rule: str, subject: str, at: datetime, *, state: str = "open") -> Alert:
    return Alert(
        rule=rule,
        severity="warning",
        subject=subject,
        state=state,
        summary="1 batch in quarantine",
        details={},
        first_seen_at=at,
        last_seen_at=at,
        resolved_at=at if state == "resolved" else None,
        delivery_state="none",
    )


async def test_alerts_are_filtered_by_state_and_rule(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    now = utcnow()
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(open_alert("quarantine", "requests", now))
        uow.session.add(open_alert("gap", "users", now - timedelta(hours=1), state="resolved"))
    client = await signed_in_as(response_client, "ada")
    every = await client.get("/console/alerts")
    assert "<td>quarantine</td>" in every.text
    assert "<td>gap</td>" in every.text
    resolved = await client.get("/console/alerts", params={"state": "resolved"})
    assert "<td>gap</td>" in resolved.text
    assert "<td>quarantine</td>" not in resolved.text
    by_rule = await client.get("/console/alerts", params={"rule": "stream_lag"})
    assert "No alert matches this filter." in by_rule.text
    bad = await client.get("/console/alerts", params={"state": "closed"})
    assert bad.status_code == 422
    assert "<!doctype html>" in bad.text


async def test_the_audit_log_is_filtered_and_paged_with_errors_by_the_field(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    await poke(response_runtime, AuditEvent, 55)
    client = await signed_in_as(response_client, "ada")
    first = await client.get("/console/audit", params={"action": "test.poked"})
    assert first.text.count("<td>test.poked</td>") == 50
    link = page_link(first, "next")
    assert link is not None
    second = await client.get(link)
    assert second.text.count("<td>test.poked</td>") == 5
    assert "Page 2: events 51 to 55, the last page." in second.text
    by_object = await client.get("/console/audit", params={"object_id": "thing-7"})
    assert by_object.text.count("<td>test.poked</td>") == 1

    backwards = await client.get(
        "/console/audit", params={"from": "2026-01-02T00:00", "to": "2026-01-01T00:00"}
    )
    assert backwards.status_code == 422
    assert 'id="audit-until-error" role="alert"' in backwards.text
    not_a_time = await client.get("/console/audit", params={"from": "yesterday"})
    assert not_a_time.status_code == 422
    assert 'id="audit-since-error" role="alert"' in not_a_time.text
    assert 'value="yesterday"' in not_a_time.text


async def test_the_tasks_page_lists_every_job_with_its_schedule(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime, admin_user: User
) -> None:
    started = utcnow()
    failed = JobRun(started_at=started, seconds=0.25, outcome="failed", error="OSError: disk full")
    await record_job_run(response_runtime.cache, "response.transfer_import", failed)
    client = await signed_in_as(response_client, "ada")
    page = await client.get("/console/tasks")
    assert page.status_code == 200
    for job in response_runtime.registry.jobs.values():
        assert f"<td>{job.name}</td>" in page.text
    at = started.strftime("%Y-%m-%d %H:%M:%S")
    assert re.search(
        rf"<td>response.transfer_import</td><td>every 1s</td><td>{at}, 0.25 s, failed</td>\s*"
        rf"<td>{at}, 0.25 s, failed: <code>OSError: disk full</code>",
        page.text,
    )
    assert re.search(r"<td>response.audit_retention</td><td>every 1d</td><td>never</td>", page.text)


async def test_an_operator_sees_no_admin_link_and_is_refused_the_pages(
    response_client: httpx.AsyncClient, operator: User
) -> None:
    client = await signed_in_as(response_client, "olga")
    queue = await client.get("/console/queue")
    for path in ("overview", "transfer", "audit", "alerts", "tasks"):
        assert f'href="/console/{path}"' not in queue.text
        assert (await client.get(f"/console/{path}")).status_code == 403
    requeue = await client.post(
        f"/console/transfer/quarantine/{BATCH}/requeue", data={"csrf_token": csrf_of(queue)}
    )
    assert requeue.status_code == 403
