"""The versioned bulk upsert: newer versions win, older or repeated ones change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from core.runtime import Runtime
from request_network.runtime import RequestRuntime
from request_network.users.models import User
from shared.records import UserRecord
from shared.upsert import versioned_upsert, versioned_upsert_records


def user_row(user_id: uuid.UUID, version: int, email: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": user_id,
        "username": f"user-{user_id.hex}",  # 8 hex digits collided once in 6,000 rows
        "email": email,
        "display_name": "",
        "role": "user",
        "active": True,
        "password_hash": None,
        "profile": "default",
        "limit_overrides": None,
        "version": version,
        "created_at": now,
        "updated_at": now,
    }


async def _emails(runtime: Runtime[Any]) -> dict[uuid.UUID, tuple[int, str]]:
    async with runtime.unit_of_work() as uow:
        rows = (await uow.session.execute(select(User.id, User.version, User.email))).all()
    return {row.id: (row.version, row.email) for row in rows}


async def test_newer_versions_win_in_any_order(request_runtime: RequestRuntime) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    table = User.__table__
    deliveries = [
        [user_row(a, 2, "a2@x"), user_row(b, 1, "b1@x")],
        [user_row(a, 1, "a1@x")],  # late, older: ignored
        [user_row(a, 2, "a2-again@x")],  # duplicate version: ignored
        [user_row(b, 3, "b3@x")],
    ]
    written = []
    for rows in deliveries:
        async with request_runtime.unit_of_work() as uow:
            written.append(await versioned_upsert(session=uow.session, table=table, rows=rows))  # type: ignore[arg-type]
    assert await _emails(request_runtime) == {a: (2, "a2@x"), b: (3, "b3@x")}
    assert written == [2, 0, 0, 1]


async def test_chunks_large_inputs(request_runtime: RequestRuntime) -> None:
    rows = [user_row(uuid.uuid4(), 1, f"{i}@x") for i in range(6000)]
    async with request_runtime.unit_of_work() as uow:
        written = await versioned_upsert(session=uow.session, table=User.__table__, rows=rows)  # type: ignore[arg-type]
    assert written == 6000
    assert len(await _emails(request_runtime)) == 6000


async def test_nothing_to_write(request_runtime: RequestRuntime) -> None:
    async with request_runtime.unit_of_work() as uow:
        assert await versioned_upsert(session=uow.session, table=User.__table__, rows=[]) == 0  # type: ignore[arg-type]


async def test_records_are_read_by_attribute(request_runtime: RequestRuntime) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    overrides = {"per_day": {"soft": 5, "hard": 10}}
    records = [
        UserRecord.model_validate(user_row(a, 1, "a1@x")),
        UserRecord.model_validate(user_row(b, 1, "b1@x")),
        # Later in the chunk and newer: wins. Then an equal version: the first one stays.
        UserRecord.model_validate({**user_row(a, 2, "a2@x"), "limit_overrides": overrides}),
        UserRecord.model_validate(user_row(a, 2, "a2-again@x")),
    ]
    table: Table = User.__table__  # type: ignore[assignment]
    columns = [name for name in UserRecord.model_fields if name != "kind"]
    async with request_runtime.unit_of_work() as uow:
        written = await versioned_upsert_records(
            session=uow.session, table=table, records=records, columns=columns
        )
    async with request_runtime.unit_of_work() as uow:
        stored = await uow.session.scalar(select(User.limit_overrides).where(User.id == a))
    assert written == 2
    assert await _emails(request_runtime) == {a: (2, "a2@x"), b: (1, "b1@x")}
    assert stored == overrides


async def test_new_and_stored_rows_in_one_call(request_runtime: RequestRuntime) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    table: Table = User.__table__  # type: ignore[assignment]
    async with request_runtime.unit_of_work() as uow:
        await versioned_upsert(
            session=uow.session, table=table, rows=[user_row(a, 1, "a1@x"), user_row(b, 3, "b3@x")]
        )
    rows = [user_row(a, 2, "a2@x"), user_row(b, 2, "b2@x"), user_row(c, 1, "c1@x")]
    async with request_runtime.unit_of_work() as uow:
        written = await versioned_upsert(session=uow.session, table=table, rows=rows)
    assert written == 2
    assert await _emails(request_runtime) == {a: (2, "a2@x"), b: (3, "b3@x"), c: (1, "c1@x")}


async def test_a_new_row_the_table_refuses_raises_its_integrity_error(
    request_runtime: RequestRuntime,
) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    table: Table = User.__table__  # type: ignore[assignment]
    taken = user_row(a, 1, "a1@x")
    async with request_runtime.unit_of_work() as uow:
        await versioned_upsert(session=uow.session, table=table, rows=[taken])
    clash = {**user_row(b, 1, "b1@x"), "username": taken["username"]}
    with pytest.raises(IntegrityError):
        async with request_runtime.unit_of_work() as uow:
            await versioned_upsert(
                session=uow.session, table=table, rows=[user_row(c, 1, "c1@x"), clash]
            )
    assert await _emails(request_runtime) == {a: (1, "a1@x")}
