"""`GET /admin/alerts`, the scheduled job, its settings, and the HTTP answer counter."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from core.runtime import Runtime
from response_network.app import create_app as create_response_app
from response_network.auth.service import build_token_issuer
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from shared.exchange.files import quarantine
from shared.platform.alerts.flows import LOCK, evaluate_alerts
from shared.platform.alerts.settings import AlertSettings
from tests.ops.test_alerts_support import alerts, context_of, evaluate, open_alerts, tables_of
from tests.services import free_port


@pytest.fixture
async def admin_headers(
    response_runtime: ResponseRuntime, response_settings: ResponseSettings
) -> dict[str, str]:
    async with response_runtime.unit_of_work() as uow:
        admin = User(
            username="alert-admin",
            email="alert-admin@example.org",
            display_name="",
            role=Role.ADMIN,
            active=True,
            password_hash="unused: this admin holds a token",
            version=1,
        )
        uow.session.add(admin)
    token = build_token_issuer(response_settings).issue(str(admin.id))[0]
    return {"Authorization": f"Bearer {token}"}


def quarantine_files(runtime: Runtime[Any], count: int) -> list[str]:
    """Refused batches, as the importer leaves them: a file and its reason."""
    ctx = context_of(runtime)
    ctx.quarantine_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for number in range(count):
        junk = ctx.root / f"junk-{number}.tar"
        junk.write_bytes(b"junk")
        target = quarantine(junk, ctx.quarantine_dir, code="batch.format", detail="-", check="tar")
        names.append(target.name)
    return names


async def test_admins_page_through_open_and_resolved_alerts(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    names = quarantine_files(response_runtime, 3)
    await evaluate(response_runtime)
    ctx = context_of(response_runtime)
    (ctx.quarantine_dir / f"{names[0]}.reason.json").unlink()  # an operator cleared it
    (ctx.quarantine_dir / names[0]).unlink()
    await evaluate(response_runtime)

    first = await response_client.get("/admin/alerts?limit=2", headers=admin_headers)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    rest = await response_client.get(
        "/admin/alerts", params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin_headers
    )
    assert rest.json()["next_cursor"] is None
    listed = [item["subject"] for item in page["items"] + rest.json()["items"]]
    assert sorted(listed) == sorted(names)

    opened = await response_client.get("/admin/alerts?state=open", headers=admin_headers)
    resolved = await response_client.get("/admin/alerts?state=resolved", headers=admin_headers)
    assert sorted(item["subject"] for item in opened.json()["items"]) == sorted(names[1:])
    [gone] = resolved.json()["items"]
    assert (gone["subject"], gone["rule"]) == (names[0], "quarantine")
    assert gone["delivery_state"] == "none"
    assert gone["resolved_at"] is not None

    other_rule = await response_client.get("/admin/alerts?rule=gap", headers=admin_headers)
    assert other_rule.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("state=closed", "invalid.request"),
        ("rule=cpu", "invalid.request"),
        ("cursor=bm90LWEtY3Vyc29y", "invalid.cursor"),
        ("cursor=WzFd", "invalid.cursor"),
        (f"cursor={'A' * 513}", "invalid.request"),
        ("cursor=eyJhdCI6ICIyMDI2LTExLTI1VDEwOjAwOjAwIiwgImlkIjogIngifQ", "invalid.cursor"),
        ("limit=0", "invalid.request"),
    ],
)
async def test_bad_filters_are_refused(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str], query: str, code: str
) -> None:
    answer = await response_client.get(f"/admin/alerts?{query}", headers=admin_headers)
    assert (answer.status_code, answer.json()["code"]) == (422, code)


async def test_a_naive_timestamp_in_a_cursor_is_refused(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    raw = json.dumps({"at": "2026-11-25T10:00:00", "id": str(uuid.uuid4())}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    answer = await response_client.get(f"/admin/alerts?cursor={cursor}", headers=admin_headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid.cursor")


async def test_the_job_evaluates_once_per_interval_across_ticks(
    response_runtime: ResponseRuntime,
) -> None:
    job = response_registry.get("evaluate_alerts").function
    [name] = quarantine_files(response_runtime, 1)
    await job(response_runtime)
    [alert] = await open_alerts(response_runtime, "quarantine")

    ctx = context_of(response_runtime)
    (ctx.quarantine_dir / f"{name}.reason.json").unlink()
    await job(response_runtime)  # the next tick, well within `alert_evaluate_seconds`

    [still] = await open_alerts(response_runtime, "quarantine")
    assert (still.id, still.last_seen_at) == (alert.id, alert.last_seen_at)


async def test_an_evaluation_already_running_elsewhere_is_not_repeated(
    response_runtime: ResponseRuntime,
) -> None:
    quarantine_files(response_runtime, 1)
    settings = response_runtime.settings
    assert isinstance(settings, AlertSettings)
    async with response_runtime.locks.hold(LOCK) as held:
        assert held
        result = await evaluate_alerts(
            runtime=response_runtime,
            tables=tables_of(response_runtime),
            ctx=context_of(response_runtime),
            settings=settings,
        )
    assert result is None
    assert await alerts(response_runtime) == []


def test_the_webhook_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http:// or https://"):
        ResponseSettings(alert_webhook_url="ftp://alerts.example.org/hook")
    assert ResponseSettings(alert_webhook_url="").alert_webhook_url is None
    hook = ResponseSettings(alert_webhook_url="https://chat.example.org/hook/T0K3N")
    assert "T0K3N" not in repr(hook)


def test_the_webhook_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRLOCK_RESPONSE_ALERT_WEBHOOK_URL", "https://hooks.example.org/a")
    monkeypatch.setenv("AIRLOCK_RESPONSE_ALERT_GAP_MINUTES", "30")
    settings = ResponseSettings()
    assert settings.alert_webhook_url is not None
    assert settings.alert_webhook_url.get_secret_value() == "https://hooks.example.org/a"
    assert settings.alert_gap_minutes == 30


async def test_answers_still_go_out_when_the_counter_cannot_be_written(
    response_settings: ResponseSettings,
) -> None:
    # Redis gone: the error-rate counter fails, the answer must not.
    settings = response_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}"}
    )
    runtime = ResponseRuntime.build(settings, response_registry, start_scheduler=False)
    app = create_response_app(settings, runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/health")).status_code == 200
