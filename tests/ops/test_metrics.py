"""`/metrics` as Prometheus scrapes it: open without login, labelled by route template, with
the state probes (oldest unanswered request, open gaps) read at each scrape; off by a setting
or served on a port of its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from core.app import create_network_app
from core.db import utcnow
from core.jobs import JobRegistry
from core.metrics import Probe
from core.runtime import Runtime
from core.settings import NetworkSettings
from request_network.auth.service import build_token_issuer
from request_network.requests.models import Request as RequestRow
from request_network.requests.models import RequestStatus
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.models import InboundGap
from request_network.users.models import User
from response_network.requests.models import Request as ResponseRequestRow
from response_network.requests.models import RequestStatus as ResponseStatus
from response_network.runtime import ResponseRuntime
from tests.conftest import METRICS_AUTH
from tests.request_network.catalog.test_submissions import replica_profile, replica_type
from tests.request_network.replica import insert_user
from tests.services import free_port

OLDEST = "airlock_oldest_unanswered_request_age_seconds"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in an exposition, None when absent."""
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and all(item.labels.get(k) == v for k, v in labels.items()):
                return float(item.value)
    return None


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics", headers=METRICS_AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


def bearer_for(settings: RequestSettings, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {build_token_issuer(settings).issue(str(user.id))[0]}"}


async def test_http_metrics_are_labelled_by_route_template_never_by_path(
    request_client: httpx.AsyncClient,
) -> None:
    request_id = uuid.uuid4()
    await request_client.get(f"/requests/{request_id}")
    await request_client.get(f"/nothing/{request_id}")

    text = await scrape(request_client)
    route = {"route": "/requests/{request_id}", "method": "GET", "status": "401"}
    assert sample(text, "airlock_http_requests_total", **route) == 1.0
    assert sample(text, "airlock_http_requests_total", route="unmatched", status="404") == 1.0
    assert (
        sample(
            text,
            "airlock_http_request_duration_seconds_count",
            route="/requests/{request_id}",
        )
        == 1.0
    )
    assert str(request_id) not in text


async def test_rate_limit_rejections_are_counted_by_window(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all([replica_type("weather"), replica_profile(allow_all=True)])
    user = await insert_user(request_runtime, "bob", password_hash=None)
    async with request_runtime.unit_of_work() as uow:
        row = await uow.session.get(User, user.id)
        assert row is not None
        row.limit_overrides = {"per_minute": 1}
    body = {"request_type": "weather", "parameters": {"city": "Oslo"}}
    headers = bearer_for(request_settings, user)

    answers = [
        (await request_client.post("/requests", json=body, headers=headers)).status_code
        for _ in range(3)
    ]

    assert answers == [201, 429, 429]
    text = await scrape(request_client)
    rejections = "airlock_rate_limit_rejections_total"
    assert sample(text, rejections, limit="rate_limited", window="minute") == 2.0


def request_row(owner: uuid.UUID, *, age: timedelta, status: RequestStatus) -> RequestRow:
    created = utcnow() - age
    return RequestRow(
        id=uuid.uuid4(),
        owner_id=owner,
        request_type="weather",
        type_version=1,
        parameters={},
        priority=5,
        status=status,
        request_hash="0" * 64,
        created_at=created,
        updated_at=created,
        version=1,
    )


async def test_the_oldest_unanswered_request_age_is_read_at_each_scrape(
    request_client: httpx.AsyncClient, request_runtime: RequestRuntime
) -> None:
    assert sample(await scrape(request_client), OLDEST) == 0.0
    owner = uuid.uuid4()
    waiting = request_row(owner, age=timedelta(hours=1), status=RequestStatus.EXPORTED)
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                waiting,
                request_row(owner, age=timedelta(hours=5), status=RequestStatus.DELIVERED),
                request_row(owner, age=timedelta(minutes=1), status=RequestStatus.PENDING),
            ]
        )

    hour = sample(await scrape(request_client), OLDEST)
    async with request_runtime.unit_of_work() as uow:
        row = await uow.session.get(RequestRow, waiting.id)
        assert row is not None
        row.status = RequestStatus.ANSWERED
    minute = sample(await scrape(request_client), OLDEST)

    assert hour is not None
    assert 3600 <= hour < 3660
    assert minute is not None
    assert 60 <= minute < 120


async def test_the_response_network_reports_its_oldest_unanswered_request(
    response_client: httpx.AsyncClient, response_runtime: ResponseRuntime
) -> None:
    submitted = utcnow() - timedelta(hours=2)
    async with response_runtime.unit_of_work() as uow:
        # An answered request, older still, does not count.
        for status, earlier in (
            (ResponseStatus.RECEIVED, timedelta()),
            (ResponseStatus.ANSWERED, timedelta(hours=1)),
        ):
            uow.session.add(
                ResponseRequestRow(
                    id=uuid.uuid4(),
                    owner_id=uuid.uuid4(),
                    request_type="weather",
                    type_version=1,
                    parameters={},
                    priority=5,
                    submitted_at=submitted - earlier,
                    version=1,
                    status=status,
                )
            )

    age = sample(await scrape(response_client), OLDEST)

    assert age is not None
    assert 7200 <= age < 7260


async def test_open_gaps_move_as_gaps_open_and_are_declared_lost(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
) -> None:
    admin = await insert_user(request_runtime, "root", password_hash=None, role="admin")
    before = await scrape(request_client)
    async with request_runtime.unit_of_work() as uow:
        uow.session.add_all(
            [
                InboundGap(source="response", stream="responses", sequence=4),
                InboundGap(source="response", stream="responses", sequence=5),
            ]
        )
    opened = await scrape(request_client)
    lost = await request_client.post(
        "/admin/transfer/gaps/responses/4/lost", headers=bearer_for(request_settings, admin)
    )
    after = await scrape(request_client)

    assert lost.status_code == 200
    gaps = "airlock_stream_open_gaps"
    assert sample(before, gaps, stream="responses") == 0.0
    assert sample(opened, gaps, stream="responses") == 2.0
    assert sample(opened, gaps, stream="users") == 0.0
    assert sample(after, gaps, stream="responses") == 1.0


# The metrics settings, on the shell both networks share.


async def answer_probe() -> Sequence[Metric]:
    return [GaugeMetricFamily("airlock_test_answer", "A value read at scrape time.", value=42)]


async def broken_probe() -> Sequence[Metric]:
    raise ConnectionError("the database is away")


def build_app(tmp_path: Path, probes: Sequence[Probe] = (), **settings: Any) -> FastAPI:
    runtime: Runtime[Any] = Runtime.build(
        NetworkSettings(network_name="t", var_dir=tmp_path, jobs_enabled=False, **settings),
        JobRegistry("t"),
    )
    return create_network_app(
        title="t",
        description="t",
        version="0",
        runtime=runtime,
        routers=[],
        metrics_probes=probes,
    )


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_a_failing_probe_leaves_the_others_and_the_scrape_intact(tmp_path: Path) -> None:
    app = build_app(tmp_path, [broken_probe, answer_probe])
    async with app.router.lifespan_context(app):
        answer = await get(app, "/metrics")

    assert answer.status_code == 200
    assert sample(answer.text, "airlock_test_answer") == 42.0


async def test_metrics_turned_off_are_not_served(tmp_path: Path) -> None:
    app = build_app(tmp_path, metrics_enabled=False)
    async with app.router.lifespan_context(app):
        metrics, health = await get(app, "/metrics"), await get(app, "/health")

    assert (metrics.status_code, health.status_code) == (404, 200)


async def test_metrics_on_their_own_port_are_served_there_only(tmp_path: Path) -> None:
    port = free_port()
    app = build_app(tmp_path, [answer_probe], metrics_port=port, metrics_host="127.0.0.1")
    async with app.router.lifespan_context(app):
        on_api = await get(app, "/metrics")
        await get(app, "/health")
        async with httpx.AsyncClient() as client:
            on_port = await client.get(f"http://127.0.0.1:{port}/metrics")

    assert on_api.status_code == 404
    assert on_port.status_code == 200
    assert sample(on_port.text, "airlock_test_answer") == 42.0
    health = {"route": "/health", "method": "GET", "status": "200"}
    assert sample(on_port.text, "airlock_http_requests_total", **health) == 1.0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


async def test_a_multiprocess_dir_this_process_was_not_started_with_is_ignored(
    tmp_path: Path,
) -> None:
    """Only in `.env`, say: prometheus-client keeps this process's values in memory, so
    reading the (empty) directory would hide them."""
    app = build_app(tmp_path, prometheus_multiproc_dir=tmp_path / "prometheus")
    async with app.router.lifespan_context(app):
        await get(app, "/health")
        answer = await get(app, "/metrics")

    assert sample(answer.text, "airlock_http_requests_total", route="/health") == 1.0
