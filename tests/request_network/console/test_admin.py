"""The request network's admin pages: requests by status, users with their quota and its reset,
the response cache; the shared transfer, audit, alerts and tasks pages mounted over this
network's own streams, tables and jobs; and a plain user's refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from core.db import utcnow
from core.job_runs import JobRun, record_job_run
from request_network.alerts.models import TABLES as ALERT_TABLES
from request_network.audit.models import AuditEvent
from request_network.requests.models import RequestStatus
from request_network.runtime import RequestRuntime
from request_network.transfer.models import InboundGap
from request_network.transfer.service import transfer_context
from request_network.users.models import User
from shared.exchange.files import quarantine
from shared.platform.alerts import service as alerts_service
from shared.platform.alerts.models import Severity
from shared.platform.alerts.rules import Finding, Rule
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.conftest import ReplicaUserFactory
from tests.request_network.console.conftest import (
    FORM_SCHEMA,
    OPERATIONS_LINKS,
    csrf_of,
    log_in,
    nav_links,
    poke,
)
from tests.request_network.replica import insert_api_key
from tests.request_network.responses.conftest import (
    ApplyResponses,
    ImportResponses,
    insert_request,
    response,
)

ADMIN_LINKS = ("Requests by status", "Users", "Cache", "Transfer", "Audit", "Alerts", "Tasks")


@pytest.fixture
async def limited(request_runtime: RequestRuntime) -> None:
    """The forecast type, and a default profile allowing 5 submissions a minute."""
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                replica_type("forecast", parameter_schema=FORM_SCHEMA),
                replica_profile(
                    allow_all=True, max_parameter_bytes=10_000, limits={"minute": {"hard": 5}}
                ),
            ]
        )


@pytest.fixture
async def alice(replica_user: ReplicaUserFactory, limited: None) -> User:
    return await replica_user("alice")


@pytest.fixture
async def root(replica_user: ReplicaUserFactory) -> User:
    return await replica_user("root", role="admin")


@pytest.fixture
async def admin_client(request_client: httpx.AsyncClient, root: User) -> httpx.AsyncClient:
    assert (await log_in(request_client, "root")).status_code == 303
    return request_client


def compact(html: str) -> str:
    """The page without the white space between tags, to read a table row as one line."""
    return re.sub(r">\s+<", "><", html)


async def audited(runtime: RequestRuntime, action: str) -> list[tuple[str, dict[str, object]]]:
    async with runtime.unit_of_work() as uow:
        events = await uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.occurred_at)
        )
        return [(event.actor_name, event.details or {}) for event in events]


async def test_requests_by_status_counts_every_status_and_lists_everyones(
    request_runtime: RequestRuntime,
    alice: User,
    replica_user: ReplicaUserFactory,
    admin_client: httpx.AsyncClient,
) -> None:
    bob = await replica_user("bob")
    await insert_request(request_runtime, alice, status=RequestStatus.PENDING)
    failed = await insert_request(request_runtime, bob, status=RequestStatus.FAILED)

    page = await admin_client.get("/console/admin/requests")
    only_failed = await admin_client.get("/console/admin/requests", params={"status": "failed"})
    any_status = await admin_client.get("/console/admin/requests?status=&request_type=")
    wrong = await admin_client.get("/console/admin/requests", params={"status": "lost"})

    assert page.status_code == 200
    assert all(f">{link}</a>" in page.text for link in ADMIN_LINKS)
    assert nav_links(page)[-4:] == OPERATIONS_LINKS
    assert 'status=pending">pending</a></td><td>1</td>' in page.text
    assert 'status=delivered">delivered</a></td><td>0</td>' in page.text
    assert '<th scope="row">total</th><td>2</td>' in page.text
    assert re.search(r'id="oldest-unanswered">[\d.]+&nbsp;s<', page.text)
    assert ">alice</a>" in page.text  # owners by name
    assert ">bob</a>" in page.text
    assert f'href="/console/requests/{failed}"' in only_failed.text
    assert ">alice</a>" not in only_failed.text
    assert any_status.status_code == 200  # the "any" option is no filter, not an error
    assert ">alice</a>" in any_status.text
    assert wrong.status_code == 422
    assert "<html" in wrong.text


async def test_users_are_listed_and_filtered_read_only(
    alice: User, replica_user: ReplicaUserFactory, admin_client: httpx.AsyncClient
) -> None:
    await replica_user("alina", active=False)

    everyone = await admin_client.get("/console/admin/users?username=&role=&active=")
    admins = await admin_client.get("/console/admin/users", params={"role": "admin"})
    active_al = await admin_client.get(
        "/console/admin/users", params={"username": "al", "active": "true"}
    )
    bad_cursor = await admin_client.get("/console/admin/users", params={"cursor": "nope"})

    assert everyone.status_code == 200
    names = re.findall(r'/console/admin/users/[0-9a-f-]+">([a-z]+)</a>', everyone.text)
    assert names == ["alice", "alina", "root"]
    assert re.findall(r'/console/admin/users/[0-9a-f-]+">([a-z]+)</a>', admins.text) == ["root"]
    assert re.findall(r'/console/admin/users/[0-9a-f-]+">([a-z]+)</a>', active_al.text) == ["alice"]
    assert '<form method="post"' not in everyone.text.split("</header>")[1]  # read-only
    assert bad_cursor.status_code == 422


async def test_an_admin_sees_a_users_quota_and_resets_it(
    request_runtime: RequestRuntime,
    request_client: httpx.AsyncClient,
    alice: User,
    root: User,
) -> None:
    await log_in(request_client, "alice")
    form = await request_client.get("/console/types/forecast")
    for _ in range(2):
        submitted = await request_client.post(
            "/console/types/forecast",
            data={"csrf_token": csrf_of(form), "p.city": "Oslo", "p.days": "1"},
        )
        assert submitted.status_code == 303
    request_client.cookies.clear()
    await log_in(request_client, "root")

    before = await request_client.get(f"/console/admin/users/{alice.id}")
    reset = await request_client.post(
        f"/console/admin/users/{alice.id}/limits/reset", data={"csrf_token": csrf_of(before)}
    )
    after = await request_client.get(reset.headers["location"])

    assert before.status_code == 200
    assert "<h1>User: alice</h1>" in before.text
    assert "<td>minute (60 s)</td><td>2</td><td>3</td><td>5</td>" in compact(before.text)
    assert reset.status_code == 303
    assert "The quota of alice was reset." in after.text
    assert "<td>minute (60 s)</td><td>0</td><td>5</td><td>5</td>" in compact(after.text)
    assert await audited(request_runtime, "limits.reset") == [("root", {"username": "alice"})]


async def test_an_unknown_or_malformed_user_is_a_page_not_a_crash(
    admin_client: httpx.AsyncClient,
) -> None:
    missing = await admin_client.get("/console/admin/users/00000000-0000-4000-8000-000000000000")
    malformed = await admin_client.get("/console/admin/users/alice")
    page = await admin_client.get("/console/admin/users")
    reset_missing = await admin_client.post(
        "/console/admin/users/00000000-0000-4000-8000-000000000000/limits/reset",
        data={"csrf_token": csrf_of(page)},
    )

    assert (missing.status_code, malformed.status_code, reset_missing.status_code) == (
        404,
        422,
        404,
    )
    assert all("<html" in answer.text for answer in (missing, malformed, reset_missing))


async def test_an_admin_drops_one_users_cached_answers_then_all(
    request_runtime: RequestRuntime,
    alice: User,
    replica_user: ReplicaUserFactory,
    apply_responses: ApplyResponses,
    admin_client: httpx.AsyncClient,
) -> None:
    bob = await replica_user("bob")
    for owner in (alice, bob):
        request_id = await insert_request(request_runtime, owner)
        await apply_responses(response(request_id))
        read = await admin_client.get(f"/console/requests/{request_id}")  # fills the cache
        assert read.status_code == 200
    page = await admin_client.get("/console/admin/cache")
    token = csrf_of(page)

    nobody = await admin_client.post(
        "/console/admin/cache/user", data={"csrf_token": token, "username": "carol"}
    )
    blank = await admin_client.post("/console/admin/cache/user", data={"csrf_token": token})
    one = await admin_client.post(
        "/console/admin/cache/user", data={"csrf_token": token, "username": "alice"}
    )
    after_one = await admin_client.get(one.headers["location"])
    every = await admin_client.post("/console/admin/cache/clear", data={"csrf_token": token})
    after_all = await admin_client.get(every.headers["location"])

    assert '<td id="cache-keys">2</td>' in page.text
    assert nobody.status_code == 422
    assert 'id="cache-username-error" role="alert">No user named &#39;carol&#39;.' in nobody.text
    assert 'value="carol"' in nobody.text
    assert blank.status_code == 422
    assert "Enter a username." in blank.text
    assert one.status_code == 303
    assert "Dropped 1 cached answer(s) of alice." in after_one.text
    assert '<td id="cache-keys">1</td>' in after_one.text
    assert "Dropped 1 cached answer(s)." in after_all.text
    assert '<td id="cache-keys">0</td>' in after_all.text
    assert await audited(request_runtime, "cache.clear_user") == [("root", {"deleted": 1})]
    assert await audited(request_runtime, "cache.clear") == [("root", {"deleted": 1})]


async def test_transfer_shows_this_networks_streams_gaps_and_quarantine_and_requeues(
    request_runtime: RequestRuntime,
    alice: User,
    import_responses: ImportResponses,
    admin_client: httpx.AsyncClient,
) -> None:
    empty = await admin_client.get("/console/transfer")
    request_id = await insert_request(request_runtime, alice)
    await import_responses(response(request_id))
    async with request_runtime.unit_of_work() as uow:
        uow.session.add(InboundGap(source="response", stream="responses", sequence=4))
    ctx = transfer_context(request_runtime)
    junk = ctx.inbox_dir / "responses-junk.tar"
    junk.write_bytes(b"not a batch")
    quarantine(junk, ctx.quarantine_dir, code="invalid.batch", detail="truncated", check="format")

    page = await admin_client.get("/console/transfer")
    requeued = await admin_client.post(
        "/console/transfer/quarantine/responses-junk.tar/requeue",
        data={"csrf_token": csrf_of(page)},
    )

    assert "Nothing received yet." in empty.text
    assert page.status_code == 200
    inbound = compact(page.text).split('<table id="inbound">')[1].split("</table>")[0]
    assert "<td>responses</td><td>1</td>" in inbound
    assert "<strong>4</strong>" in inbound  # the missing batch
    assert "<td>responses-junk.tar</td><td><code>invalid.batch</code> truncated</td>" in page.text
    assert 'aria-label="Declare responses 4 lost"' in page.text
    assert requeued.status_code == 303
    assert (ctx.inbox_dir / "responses-junk.tar").exists()
    assert [actor for actor, _ in await audited(request_runtime, "transfer.batch_requeued")] == [
        "root"
    ]


async def test_alerts_are_listed_newest_first_and_filtered(
    request_runtime: RequestRuntime, admin_client: httpx.AsyncClient
) -> None:
    at = utcnow()
    # Each evaluation names every finding: the gap found first is resolved by the second.
    for rule, subject, when in (
        (Rule.GAP, "responses", at - timedelta(minutes=5)),
        (Rule.QUARANTINE, "inbox", at),
    ):
        finding = Finding(rule, subject, Severity.WARNING, f"{rule.value} on {subject}", {})
        async with request_runtime.unit_of_work() as uow:
            await alerts_service.reconcile(
                session=uow.session,
                tables=ALERT_TABLES,
                findings=[finding],
                at=when,
                webhook=False,
            )

    every = await admin_client.get("/console/alerts?state=&rule=")
    resolved = await admin_client.get("/console/alerts", params={"state": "resolved"})
    open_gaps = await admin_client.get("/console/alerts", params={"state": "open", "rule": "gap"})
    wrong = await admin_client.get("/console/alerts", params={"rule": "weather"})

    summary = re.compile(r"<td>(\w+ on \w+)</td>")
    assert summary.findall(every.text) == ["quarantine on inbox", "gap on responses"]
    assert summary.findall(resolved.text) == ["gap on responses"]
    assert "No alert matches this filter." in open_gaps.text
    assert wrong.status_code == 422


async def test_audit_and_tasks_show_this_networks_trail_and_jobs(
    request_runtime: RequestRuntime, admin_client: httpx.AsyncClient
) -> None:
    await poke(request_runtime, AuditEvent, 2)
    job = sorted(request_runtime.registry.jobs)[0]
    failed = JobRun(started_at=utcnow(), seconds=0.25, outcome="failed", error="OSError: full")
    await record_job_run(request_runtime.cache, job, failed)

    audit = await admin_client.get("/console/audit", params={"action": "test.poked"})
    tasks = await admin_client.get("/console/tasks")

    assert "<td>cli</td><td>test.poked</td><td>thing thing-1</td>" in compact(audit.text)
    assert tasks.status_code == 200
    assert all(f"<td>{name}</td>" in tasks.text for name in request_runtime.registry.jobs)
    assert "failed: <code>OSError: full</code>" in tasks.text


async def test_a_user_sees_their_own_api_keys_read_only(
    request_runtime: RequestRuntime,
    request_client: httpx.AsyncClient,
    alice: User,
    replica_user: ReplicaUserFactory,
) -> None:
    bob = await replica_user("bob")
    await insert_api_key(request_runtime, alice, scopes=["requests:read"])
    await insert_api_key(request_runtime, alice, revoked=True)
    await insert_api_key(request_runtime, bob)
    await log_in(request_client, "alice")

    page = await request_client.get("/console/keys")

    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == 2  # alice's two, not bob's
    assert "<td>requests:read</td>" in page.text
    assert "<td>all of your role&#39;s</td>" in page.text
    assert ">active</td>" in page.text
    assert "<td>revoked " in page.text
    assert '<form method="post"' not in page.text.split("</header>")[1]  # read-only


async def test_a_plain_user_sees_no_admin_link_and_is_refused_every_admin_page(
    request_runtime: RequestRuntime, request_client: httpx.AsyncClient, alice: User, root: User
) -> None:
    await log_in(request_client, "alice")
    portal = await request_client.get("/console/types")
    token = csrf_of(portal)

    pages = [
        await request_client.get(path)
        for path in (
            "/console/admin/requests",
            "/console/admin/users",
            f"/console/admin/users/{root.id}",
            "/console/admin/cache",
            "/console/transfer",
            "/console/audit",
            "/console/alerts",
            "/console/tasks",
        )
    ]
    actions = [
        await request_client.post(path, data={"csrf_token": token, "username": "root"})
        for path in (
            "/console/admin/cache/clear",
            "/console/admin/cache/user",
            f"/console/admin/users/{alice.id}/limits/reset",
        )
    ]

    assert "My API keys" in portal.text
    assert [link for link in ADMIN_LINKS if f">{link}</a>" in portal.text] == []
    assert {answer.status_code for answer in pages + actions} == {403}
    assert all("Not allowed" in answer.text for answer in pages + actions)
    assert await audited(request_runtime, "cache.clear") == []
    assert await audited(request_runtime, "limits.reset") == []
