"""Crashes, reconciliation and retention: nothing lost, nothing half-applied."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.jobs import run_job
from request_network.jobs import registry as request_registry
from request_network.settings import RequestSettings
from request_network.transfer.models import InboxBatch
from response_network.transfer.models import OutboxBatch
from shared.exchange.acks import outgoing_acks
from shared.exchange.export import export_all, prune_kept_copies, publish_pending
from shared.exchange.importing import ImportStatus, import_pending
from shared.exchange.reconcile import reconcile
from shared.streams import ApplyOutcome, InboundStream, StreamRegistry
from tests.shared.exchange.conftest import Networks, outbox_files


async def test_crash_mid_import_leaves_the_database_as_it_was(networks: Networks) -> None:
    await networks.create_users(5)
    await export_all(networks.response_ctx)
    ctx = networks.request_ctx
    real = ctx.streams.inbound["users"]
    calls = 0

    async def crash_on_second_chunk(session: AsyncSession, records: Sequence[Any]) -> ApplyOutcome:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("worker killed")
        return await real.apply(session, records)

    crashing = dataclasses.replace(
        ctx,
        chunk_size=2,
        streams=StreamRegistry(
            inbound={"users": InboundStream("users", real.schema, crash_on_second_chunk)}
        ),
    )
    [failed] = await import_pending(crashing)

    assert failed.status is ImportStatus.FAILED  # not the batch's fault: not quarantined
    assert calls == 2
    assert await networks.replica() == {}
    [waiting] = list(ctx.inbox_dir.iterdir())  # still there, for the next run
    [result] = await import_pending(ctx)
    assert (result.file, result.status) == (waiting.name, ImportStatus.APPLIED)
    assert len(await networks.replica()) == 5


async def test_records_the_database_refuses_quarantine_the_whole_batch(networks: Networks) -> None:
    ids = await networks.create_users(4)
    await export_all(networks.response_ctx)
    await import_pending(networks.request_ctx)
    before = await networks.replica()
    # Break the replica so the next batch cannot apply: another row holds a username.
    from request_network.users.models import User as ReplicaUser
    from response_network.users.models import User

    async with networks.response.unit_of_work() as uow:
        user = await uow.session.get(User, ids[0])
        assert user is not None
        user.username = "taken-on-replica"
        other = await uow.session.get(User, ids[1])
        assert other is not None
        other.display_name = "changed first, applies first"
    async with networks.request.unit_of_work() as uow:
        await uow.session.execute(
            update(ReplicaUser).where(ReplicaUser.id == ids[2]).values(username="taken-on-replica")
        )
        before[ids[2]] = before[ids[2]]
    await export_all(networks.response_ctx)
    [result] = await import_pending(networks.request_ctx)
    assert (result.status, result.code) == (ImportStatus.QUARANTINED, "batch.apply")
    assert await networks.replica() == before
    async with networks.request.unit_of_work() as uow:
        assert len(list((await uow.session.execute(select(InboxBatch))).scalars())) == 1


async def test_reconcile_finds_and_fixes_orphans_and_unpublished(networks: Networks) -> None:
    ctx = networks.response_ctx
    await networks.create_users(1)
    await export_all(ctx)
    [published] = outbox_files(ctx)
    published.unlink()
    async with networks.response.unit_of_work() as uow:  # as if we crashed before publishing
        await uow.session.execute(update(OutboxBatch).values(published_at=None))
    orphan = ctx.sent_dir / f"users-000000000009-{'b' * 32}.tar"
    orphan.write_bytes(b"never committed")

    dry = await reconcile(ctx)
    kinds = sorted((f.kind, f.fixed) for f in dry.findings)
    assert kinds == [("orphan", False), ("unacknowledged", False), ("unpublished", False)]
    assert orphan.exists()

    fixed = await reconcile(ctx, fix=True)
    assert {f.kind for f in fixed.findings if f.fixed} == {"orphan", "unpublished"}
    assert not orphan.exists()
    assert [f.name for f in outbox_files(ctx)] == [published.name]


async def test_unpublished_batches_are_published_by_the_next_run(networks: Networks) -> None:
    ctx = networks.response_ctx
    await networks.create_users(1)
    await export_all(ctx)
    [published] = outbox_files(ctx)
    published.unlink()
    async with networks.response.unit_of_work() as uow:
        await uow.session.execute(update(OutboxBatch).values(published_at=None))
    assert await publish_pending(ctx) == 1
    assert [f.name for f in outbox_files(ctx)] == [published.name]


async def test_one_way_mode_sends_no_acks_and_keeps_copies_for_the_retention(
    networks: Networks,
) -> None:
    sender = dataclasses.replace(networks.response_ctx, acks_enabled=False, retention=timedelta(0))
    receiver = dataclasses.replace(networks.request_ctx, acks_enabled=False)
    await networks.create_users(2)
    await export_all(sender)
    await import_pending(receiver)
    async with networks.request.unit_of_work() as uow:
        assert await outgoing_acks(uow.session, receiver) == {}
    [row] = await _outbox(networks)
    assert row.acked_at is None
    assert await prune_kept_copies(sender) == 1
    assert list(sender.sent_dir.iterdir()) == []


async def test_acknowledged_copies_are_pruned_after_the_retention(networks: Networks) -> None:
    ctx = dataclasses.replace(networks.response_ctx, retention=timedelta(hours=1))
    await networks.create_users(1)
    await export_all(ctx)
    assert await prune_kept_copies(ctx) == 0  # not acknowledged yet
    async with networks.response.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxBatch).values(acked_at=utcnow() - timedelta(hours=2))
        )
    assert await prune_kept_copies(ctx) == 1
    [row] = await _outbox(networks)
    assert row.copy_deleted_at is not None


async def _outbox(networks: Networks) -> list[OutboxBatch]:
    async with networks.response.unit_of_work() as uow:
        return list((await uow.session.execute(select(OutboxBatch))).scalars())


async def test_imported_batches_leave_processed_after_their_retention(
    networks: Networks, request_settings: RequestSettings
) -> None:
    assert networks.request_ctx.processed_retention == timedelta(hours=168)  # as `sent/`
    request_settings.processed_retention_hours = 1
    prune = request_registry.get("transfer_prune")
    await networks.create_users(1)
    await export_all(networks.response_ctx)
    [waiting] = networks.request_ctx.inbox_dir.iterdir()
    _age(waiting, hours=2)  # written long ago: the retention runs from the import
    [imported] = await import_pending(networks.request_ctx)
    processed = networks.request_ctx.processed_dir / imported.file

    await run_job(prune, networks.request, {})
    assert processed.exists()

    _age(processed, hours=2)
    await run_job(prune, networks.request, {})
    assert list(networks.request_ctx.processed_dir.iterdir()) == []


def _age(path: Path, *, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
