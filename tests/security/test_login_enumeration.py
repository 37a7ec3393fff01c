"""No user enumeration at login, on both networks: a wrong password, an unknown username, a
deactivated account and (request network) a staff account whose hash stays on the master get
the same status, body and headers, and each costs exactly one argon2id verification with the
same parameters: the work that makes the time (bench/bench_login_enumeration.py measures it).

The verifications are seen through a pass-through spy on argon2-cffi's `PasswordHasher.verify`
(every call still runs). Embedded backend only: the answer and the hashing do not depend on
it; the throttle and the audit trail behind them are tested on both (test_throttle.py).
"""

from __future__ import annotations

from typing import Any

import argon2
import httpx
import pytest
from sqlalchemy import select

from core.security import hash_password
from request_network.audit.models import AuditEvent as RequestAuditEvent
from request_network.runtime import RequestRuntime
from response_network.audit.models import AuditEvent as ResponseAuditEvent
from response_network.runtime import ResponseRuntime
from response_network.users.models import User as ResponseUser
from tests.request_network.replica import insert_user
from tests.response_network.identity import PASSWORD

WRONG = "not the password at all"
pytestmark = pytest.mark.parametrize("backend", ["embedded"])


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[argon2.Parameters]:
    """The parameters of every argon2 verification from now on (each one still runs)."""
    seen: list[argon2.Parameters] = []
    verify = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> Any:
        seen.append(argon2.extract_parameters(hash if isinstance(hash, str) else hash.decode()))
        return verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return seen


async def refusals(
    client: httpx.AsyncClient, tries: dict[str, tuple[str, str]], seen: list[argon2.Parameters]
) -> dict[str, tuple[int, str, str | None, list[argon2.Parameters]]]:
    """Each try's status, body, challenge and the verifications it cost."""
    found = {}
    for name, (username, password) in tries.items():
        seen.clear()
        answer = await client.post("/auth/token", data={"username": username, "password": password})
        found[name] = (
            answer.status_code,
            answer.text,
            answer.headers.get("www-authenticate"),
            list(seen),
        )
    return found


def one_answer(found: dict[str, tuple[int, str, str | None, list[argon2.Parameters]]]) -> None:
    expected = (
        401,
        '{"code":"unauthorized.credentials","detail":"incorrect username or password"}',
        "Bearer",
        [argon2.extract_parameters(hash_password(WRONG))],
    )
    assert {name: outcome for name, outcome in found.items() if outcome != expected} == {}


async def test_the_response_network_tells_no_one_which_usernames_exist(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    stored_hash: str,
    verifications: list[argon2.Parameters],
) -> None:
    async with response_runtime.unit_of_work() as uow:
        for username, active in (("alice", True), ("gone", False)):
            uow.session.add(
                ResponseUser(
                    username=username,
                    email=f"{username}@example.org",
                    role="user",
                    active=active,
                    password_hash=stored_hash,
                    version=1,
                )
            )
    tries = {
        "wrong password": ("alice", WRONG),
        "unknown user": ("nobody", PASSWORD),
        "deactivated": ("gone", PASSWORD),
    }

    one_answer(await refusals(response_client, tries, verifications))

    async with response_runtime.unit_of_work() as uow:
        audited = await uow.session.scalars(
            select(ResponseAuditEvent.details).order_by(ResponseAuditEvent.occurred_at)
        )
        # Only the audit trail, which admins read, says why.
        assert [details["reason"] for details in audited] == [
            "wrong password",
            "unknown user",
            "inactive user",
        ]


async def test_the_request_network_tells_no_one_which_usernames_exist(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    stored_hash: str,
    verifications: list[argon2.Parameters],
) -> None:
    await insert_user(request_runtime, "alice", password_hash=stored_hash)
    await insert_user(request_runtime, "gone", password_hash=stored_hash, active=False)
    await insert_user(request_runtime, "staff", password_hash=None, role="admin")
    tries = {
        "wrong password": ("alice", WRONG),
        "unknown user": ("nobody", PASSWORD),
        "deactivated": ("gone", PASSWORD),
        "no password on this network": ("staff", PASSWORD),
    }

    one_answer(await refusals(request_client, tries, verifications))

    async with request_runtime.unit_of_work() as uow:
        audited = await uow.session.scalars(
            select(RequestAuditEvent.details).order_by(RequestAuditEvent.occurred_at)
        )
        assert [details["reason"] for details in audited] == [
            "wrong password",
            "unknown user",
            "inactive user",
            "no password on this network",
        ]
