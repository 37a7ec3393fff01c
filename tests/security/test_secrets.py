"""Secrets never leak: a realistic flow across both networks, then a scan of everything it
left behind for what must not be there.

The flow: an admin logs in and creates a user with a password; the user logs in, creates an
API key, changes the password (once refused, once done), crosses to the request network,
logs in there, submits a request with a secret-looking parameter, an operator answers it
with a marked payload, the answer crosses back and the user reads it. Mistakes on the way:
wrong passwords, a policy-breaking and an oversized password, a bad key, bad parameters.

Where each secret may be (docs/security.md, "What the security suite checks"):

- passwords, API key secrets and tokens: only in the answer that issued them; never in
  logs, `/metrics`, audit rows, error bodies or batches (batches carry hashes);
- request parameters: in `requests` batches and the request's own reads; never in logs,
  `/metrics`, audit rows or error bodies;
- answer payloads: in `responses` batches and the answer's own reads; never in logs,
  `/metrics`, audit rows or error bodies.

PostgreSQL + Redis only: the production backends; logs, metrics, audit and batches are
written by the same code on the embedded one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import select

from core.security import hash_password
from request_network.app import create_app as create_request_app
from request_network.audit.models import AuditEvent as RequestAuditEvent
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context as request_context
from response_network.app import create_app as create_response_app
from response_network.audit.models import AuditEvent as ResponseAuditEvent
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context as response_context
from response_network.users.models import User
from shared.exchange.context import TransferContext
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from shared.transfer.offline import unpack_batch
from tests.conftest import METRICS_AUTH
from tests.security.cast import serving
from tests.shared.exchange.conftest import exchange_keys

pytestmark = pytest.mark.parametrize("backend", ["production"])

ADMIN_PASSWORD = "root-password-6b1f0e"
FIRST_PASSWORD = "alice-first-password-93ad"
NEW_PASSWORD = "alice-second-password-7c42"
WRONG_PASSWORD = "guessed-password-0f3e77"
PARAMETER = "sk-live-PARAMETER-51a9c3e7"
"""A user's request parameter that looks like a credential: it crosses, it is not logged."""
ANSWER = "ANSWER-PAYLOAD-MARKER-e4d1"


class Evidence:
    """What the flow leaves behind, by where it was found."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.secrets: list[str] = []

    def keep(self, answer: httpx.Response) -> httpx.Response:
        if answer.status_code >= 400:
            self.errors.append(answer.text)
        return answer

    def issued(self, answer: httpx.Response, field: str) -> str:
        assert answer.status_code < 300, answer.text
        secret = str(answer.json()[field])
        self.secrets.append(secret)
        return secret


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Every structlog event so far (all its fields) and standard-library record at INFO and
    up (the production level), as text."""
    caplog.set_level("INFO")
    with structlog.testing.capture_logs() as events:
        yield (
            lambda: (
                [repr(event) for event in events]
                + [record.getMessage() + repr(record.__dict__) for record in caplog.records]
            )
        )


async def audit_rows(runtime: Any, model: Any) -> list[str]:
    async with runtime.unit_of_work() as uow:
        rows = (await uow.session.scalars(select(model))).all()
    return [
        repr({column.key: getattr(row, column.key) for column in model.__table__.columns})
        for row in rows
    ]


def batch_payloads(directory: Path, scratch: Path) -> dict[str, str]:
    """Each batch file's name (its stream in it) and its whole unpacked text."""
    found = {}
    for number, path in enumerate(sorted(directory.rglob("*.tar*"))):
        bag = unpack_batch(path, scratch / str(number))
        found[str(path.relative_to(directory))] = "".join(
            part.read_text(errors="replace") for part in sorted(bag.rglob("*")) if part.is_file()
        )
    return found


async def sync(source: TransferContext, target: TransferContext) -> None:
    await export_all(source)
    assert all(result.status == "applied" for result in await import_pending(target))


def leaks(places: dict[str, list[str]], secrets: dict[str, str]) -> list[str]:
    return [
        f"{name} in {where}"
        for where, texts in places.items()
        for name, secret in secrets.items()
        if any(secret in text for text in texts)
    ]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


LOOKUP = {
    "name": "lookup",
    "title": "Lookup",
    "handler": "manual",
    "parameter_schema": {
        "type": "object",
        "properties": {"key": {"type": "string", "maxLength": 40}},
        "required": ["key"],
    },
}


async def on_the_master(master: httpx.AsyncClient, seen: Evidence) -> dict[str, str]:
    """The admin sets up a type and a user; the user gets a key and changes the password.
    Returns the admin's headers."""
    login = {"username": "root", "password": ADMIN_PASSWORD}
    root = bearer(seen.issued(await master.post("/auth/token", data=login), "access_token"))
    seen.keep(await master.post("/auth/token", data={**login, "password": WRONG_PASSWORD}))
    alice = {"username": "alice", "email": "alice@example.org", "profile": "open"}
    for path, body in (
        ("/admin/profiles", {"name": "open", "allow_all": True}),
        ("/admin/request-types", LOOKUP),
        ("/admin/users", alice | {"password": FIRST_PASSWORD}),
    ):
        assert (await master.post(path, json=body, headers=root)).status_code == 201
    weak = {"username": "bob", "email": "b@example.org", "password": "bob"}
    seen.keep(await master.post("/admin/users", json=weak, headers=root))

    login = {"username": "alice", "password": FIRST_PASSWORD}
    as_alice = bearer(seen.issued(await master.post("/auth/token", data=login), "access_token"))
    created = await master.post("/users/me/api-keys", json={"name": "bot"}, headers=as_alice)
    api_key = seen.issued(created, "secret")
    seen.keep(await master.get("/users/me", headers={"X-API-Key": api_key + "x"}))
    for refused in (
        {"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD},
        {"current_password": FIRST_PASSWORD, "new_password": "alice"},
        {"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD * 50},
    ):
        seen.keep(await master.post("/users/me/password", json=refused, headers=as_alice))
    change = {"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD}
    seen.issued(
        await master.post("/users/me/password", json=change, headers=as_alice), "access_token"
    )
    return root


async def on_the_replica(replica: httpx.AsyncClient, seen: Evidence) -> tuple[dict[str, str], str]:
    """The user logs in with the new password and submits (once refused). Returns the user's
    headers and the request's id."""
    login = {"username": "alice", "password": NEW_PASSWORD}
    alice = bearer(seen.issued(await replica.post("/auth/token", data=login), "access_token"))
    too_long = {"request_type": "lookup", "parameters": {"key": PARAMETER * 2}}
    seen.keep(await replica.post("/requests", json=too_long, headers=alice))
    submission = {"request_type": "lookup", "parameters": {"key": PARAMETER}}
    submitted = await replica.post("/requests", json=submission, headers=alice)
    assert submitted.status_code == 201, submitted.text
    return alice, str(submitted.json()["id"])


async def test_no_secret_reaches_logs_metrics_audit_errors_or_batches(
    response_settings: ResponseSettings,
    response_runtime: ResponseRuntime,
    request_settings: RequestSettings,
    request_runtime: RequestRuntime,
    logs: Callable[[], list[str]],
    tmp_path: Path,
) -> None:
    exchange_keys(response_settings, request_settings)
    to_replica = (response_context(response_runtime), request_context(request_runtime))
    to_master = to_replica[::-1]
    seen = Evidence()
    async with response_runtime.unit_of_work() as uow:
        uow.session.add(
            User(
                username="root",
                email="root@example.org",
                role="admin",
                active=True,
                password_hash=hash_password(ADMIN_PASSWORD),
            )
        )

    async with (
        serving(create_response_app(response_settings, response_runtime)) as master,
        serving(create_request_app(request_settings, request_runtime)) as replica,
    ):
        root = await on_the_master(master, seen)
        await sync(*to_replica)
        alice, request_id = await on_the_replica(replica, seen)
        await sync(*to_master)
        assert (await master.post(f"/requests/{request_id}/claim", headers=root)).is_success
        answer = {"status": "answered", "body": {"note": ANSWER}}
        answered = await master.post(f"/requests/{request_id}/response", json=answer, headers=root)
        assert answered.status_code == 200, answered.text
        await sync(*to_replica)
        read = await replica.get(f"/requests/{request_id}/response", headers=alice)
        assert ANSWER in read.text, "the answer reached its owner"
        metrics = [
            (await master.get("/metrics")).text,
            (await replica.get("/metrics", headers=METRICS_AUTH)).text,
        ]

    # Sent, inbox, processed and quarantined copies alike (the transfer and var directories).
    batches = batch_payloads(tmp_path, tmp_path / "unpacked")
    audit = await audit_rows(response_runtime, ResponseAuditEvent) + await audit_rows(
        request_runtime, RequestAuditEvent
    )
    lines = logs()
    # The places were filled: a scan of nothing would pass.
    assert any(PARAMETER in text for text in batches.values()), "the request crossed"
    assert any(ANSWER in text for text in batches.values()), "the answer crossed"
    assert any("http_request" in line for line in lines), "the logs were captured"
    assert any("auth.login" in row for row in audit)
    assert any("api_key.create" in row for row in audit)
    assert all("airlock_http_requests" in text for text in metrics), metrics
    assert len(seen.errors) == 7, seen.errors

    credentials = {
        "the admin's password": ADMIN_PASSWORD,
        "the first password": FIRST_PASSWORD,
        "the new password": NEW_PASSWORD,
        "a wrong password": WRONG_PASSWORD,
    } | {f"issued secret {n}": secret for n, secret in enumerate(seen.secrets)}
    places = {"logs": lines, "metrics": metrics, "audit rows": audit, "error bodies": seen.errors}
    found = leaks(places | {"batches": list(batches.values())}, credentials)
    found += leaks(places, {"the parameter": PARAMETER, "the answer": ANSWER})
    assert found == []
