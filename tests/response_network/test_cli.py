"""`airlock-response users ...` and `api-keys ...`: the same services, from a terminal."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import TypeVar

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.db import utcnow
from core.jobs import JobRegistry
from core.security import hash_api_key, verify_password
from response_network.api_keys.models import ApiKey
from response_network.audit.models import AuditEvent
from response_network.catalog.models import RequestType
from response_network.cli import app
from response_network.requests.models import Request
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.users.models import Role, User
from tests.terminal import logging_restored

PASSWORD = "a long terminal password"


@pytest.fixture
def cli(
    response_settings: ResponseSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A runner whose environment points the CLI at this test's database (and Redis)."""
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRLOCK_RESPONSE_DATABASE_URL", response_settings.database_url)
    monkeypatch.setenv("AIRLOCK_RESPONSE_VAR_DIR", str(response_settings.var_dir))
    monkeypatch.setenv("AIRLOCK_RESPONSE_TRANSFER_DIR", str(response_settings.transfer_dir))
    if response_settings.redis_url:
        monkeypatch.setenv("AIRLOCK_RESPONSE_REDIS_URL", response_settings.redis_url)
    with logging_restored():
        yield CliRunner()


RowT = TypeVar("RowT")


def _rows(settings: ResponseSettings, model: type[RowT]) -> list[RowT]:
    async def load() -> list[RowT]:
        runtime = ResponseRuntime.build(settings, JobRegistry("t"), start_scheduler=False)
        try:
            async with runtime.unit_of_work() as uow:
                return list((await uow.session.scalars(select(model))).all())
        finally:
            await runtime.close()

    return asyncio.run(load())


def test_users_create_list_reset_deactivate(
    cli: CliRunner, response_settings: ResponseSettings
) -> None:
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    created = cli.invoke(
        app,
        ["users", "create", "dora", "--email", "dora@example.org", "--role", "operator"],
        input=typed,
    )
    assert created.exit_code == 0, created.output
    generated = cli.invoke(
        app, ["users", "create", "eve", "--email", "eve@example.org", "--generate-password"]
    )
    assert generated.exit_code == 0, generated.output
    eve_password = generated.stdout.strip().splitlines()[-1]
    duplicate = cli.invoke(
        app, ["users", "create", "dora", "--email", "x@example.org", "--generate-password"]
    )
    weak = cli.invoke(
        app, ["users", "create", "fay", "--email", "f@example.org"], input="short\nshort\n"
    )

    listed = cli.invoke(app, ["users", "list", "--role", "operator"])
    reset = cli.invoke(app, ["users", "reset-password", "dora", "--generate-password"])
    deactivated = cli.invoke(app, ["users", "deactivate", "eve"])
    missing = cli.invoke(app, ["users", "deactivate", "nobody"])

    assert duplicate.exit_code == 1
    assert "conflict.username" in duplicate.output
    assert (weak.exit_code, "invalid.password" in weak.output) == (1, True)
    assert listed.exit_code == 0
    assert "dora" in listed.stdout
    assert "eve" not in listed.stdout
    assert reset.exit_code == 0
    assert deactivated.exit_code == 0
    assert (missing.exit_code, "not_found.user" in missing.output) == (1, True)
    users = {u.username: u for u in _rows(response_settings, User)}
    assert set(users) == {"dora", "eve"}
    assert users["dora"].role == Role.OPERATOR
    assert verify_password(eve_password, users["eve"].password_hash)[0]
    assert not verify_password(PASSWORD, users["dora"].password_hash)[0]
    assert users["eve"].active is False
    actions = [e.action for e in _rows(response_settings, AuditEvent)]
    assert sorted(actions) == [
        "user.create",
        "user.create",
        "user.deactivate",
        "user.reset_password",
    ]
    assert all(e.actor_name.startswith("cli:") for e in _rows(response_settings, AuditEvent))


def test_api_keys_create_prints_the_secret_once_and_revoke(
    cli: CliRunner, response_settings: ResponseSettings
) -> None:
    cli.invoke(app, ["users", "create", "bot", "--email", "bot@example.org", "--generate-password"])

    created = cli.invoke(
        app, ["api-keys", "create", "bot", "--name", "ci", "--expires-in-days", "30"]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    listed = cli.invoke(app, ["api-keys", "list", "bot"])
    [key] = _rows(response_settings, ApiKey)
    revoked = cli.invoke(app, ["api-keys", "revoke", str(key.id)])

    assert secret.startswith("ak_")
    assert key.secret_hash == hash_api_key(secret)
    assert key.expires_at is not None
    assert listed.exit_code == 0
    assert secret not in listed.output
    assert revoked.exit_code == 0
    [after] = _rows(response_settings, ApiKey)
    assert after.revoked_at is not None


def test_malformed_input_exits_with_one_line_and_writes_nothing(
    cli: CliRunner, response_settings: ResponseSettings
) -> None:
    bad_name = cli.invoke(
        app, ["users", "create", "no spaces", "--email", "a@example.org", "--generate-password"]
    )
    bad_email = cli.invoke(
        app, ["users", "create", "ann", "--email", "not-an-email", "--generate-password"]
    )
    assert (bad_name.exit_code, bad_email.exit_code) == (2, 2)
    assert "invalid username" in bad_name.output
    assert "invalid email" in bad_email.output
    assert "Traceback" not in bad_name.output + bad_email.output
    assert _rows(response_settings, User) == []


def _failed_requests(settings: ResponseSettings, *reasons: str) -> list[uuid.UUID]:
    """Requests of the `echo` type the master failed, one per reason."""

    async def insert() -> list[uuid.UUID]:
        runtime = ResponseRuntime.build(settings, JobRegistry("t"), start_scheduler=False)
        now = utcnow()
        try:
            async with runtime.unit_of_work() as uow:
                uow.session.add(
                    RequestType(
                        name="echo",
                        title="Echo",
                        handler="echo",
                        handler_settings={},
                        parameter_schema={"type": "object"},
                    )
                )
                ids = [uuid.uuid4() for _ in reasons]
                uow.session.add_all(
                    Request(
                        id=request_id,
                        owner_id=uuid.uuid4(),
                        request_type="echo",
                        type_version=1,
                        parameters={},
                        priority=5,
                        submitted_at=now,
                        version=1,
                        status="failed",
                        status_reason=reason,
                    )
                    for request_id, reason in zip(ids, reasons, strict=True)
                )
                return ids
        finally:
            await runtime.close()

    return asyncio.run(insert())


def test_requests_retry_one_and_by_filter(
    cli: CliRunner, response_settings: ResponseSettings
) -> None:
    one, down, also_down, other = _failed_requests(
        response_settings, "timeout", "upstream down", "Upstream Down", "bad question"
    )

    single = cli.invoke(app, ["requests", "retry", str(one)])
    again = cli.invoke(app, ["requests", "retry", str(one)])
    bulk = cli.invoke(app, ["requests", "retry-failed", "--type", "echo", "--reason", "upstream"])
    naive = cli.invoke(app, ["requests", "retry-failed", "--failed-from", "2026-01-01T00:00"])

    assert single.exit_code == 0, single.output
    assert "retried (retry 1)" in single.output
    assert again.exit_code == 1
    assert "conflict.not_failed" in again.output
    assert bulk.exit_code == 0, bulk.output
    assert "retried 2, skipped 0" in bulk.output
    assert naive.exit_code != 0
    statuses = {r.id: (r.status, r.retries) for r in _rows(response_settings, Request)}
    assert statuses == {
        one: ("received", 1),
        down: ("received", 1),
        also_down: ("received", 1),
        other: ("failed", 0),
    }
    actors = {e.actor_name for e in _rows(response_settings, AuditEvent) if "retry" in e.action}
    assert len(actors) == 1
    assert actors.pop().startswith("cli:")
