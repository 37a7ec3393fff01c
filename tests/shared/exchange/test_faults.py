"""What the fault runs of issue #18 found: resent batches linked to their processed copy,
two importers on one stream's backlog, a lock lost mid-import, a killed writer's temporary."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import run_job
from core.locks import LockLost
from request_network.jobs import registry as request_registry
from request_network.transfer.models import InboxBatch
from shared.exchange.acks import outgoing_acks
from shared.exchange.context import TransferContext
from shared.exchange.export import export_all, export_stream, resend
from shared.exchange.files import pending_files
from shared.exchange.importing import ImportStatus, import_pending
from shared.exchange.reconcile import reconcile
from shared.streams import ApplyOutcome, InboundStream, StreamRegistry
from tests.shared.exchange.conftest import Networks, outbox_files


async def test_a_resent_batch_linked_to_its_processed_copy_leaves_the_inbox_once(
    networks: Networks,
) -> None:
    await networks.create_users(2)
    await export_all(networks.response_ctx)
    ctx = networks.request_ctx
    [first] = await import_pending(ctx)
    # The peer resends it: on one file system its kept copy, the inbox file and our
    # processed copy are all links to one inode (rename(2) between them does nothing).
    assert await resend(networks.response_ctx, [("users", 1)]) == 1
    [inbox_file] = pending_files(ctx.inbox_dir)
    assert os.path.samefile(inbox_file, ctx.processed_dir / first.file)

    [again] = await import_pending(ctx)
    later = await import_pending(ctx)

    assert again.status is ImportStatus.DUPLICATE
    assert later == []  # imported once, not again every second
    assert list(ctx.inbox_dir.iterdir()) == []
    assert [p.name for p in ctx.processed_dir.iterdir()] == [first.file]


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_two_importers_apply_a_streams_backlog_in_sequence_order(
    networks: Networks,
) -> None:
    sender = networks.response_ctx
    sender.limits = dataclasses.replace(sender.limits, max_records=1)
    await networks.create_users(30)
    assert len((await export_stream(sender, "users")).batches) == 30

    async def keep_importing(ctx: TransferContext) -> None:
        # A worker whose import job fires again and again while the backlog lasts.
        while pending_files(ctx.inbox_dir):
            await import_pending(ctx)

    await asyncio.gather(keep_importing(networks.request_ctx), keep_importing(networks.request_ctx))

    async with networks.request.unit_of_work() as uow:
        applied = list(
            await uow.session.scalars(
                select(InboxBatch.sequence)
                .where(InboxBatch.stream == "users")
                .order_by(InboxBatch.applied_at)
            )
        )
        acks = await outgoing_acks(uow.session, networks.request_ctx)
    assert applied == list(range(1, 31))  # in order: no gap opened, no resend asked for
    assert acks["users"].missing == []
    assert await networks.replica() == await networks.master()


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_an_import_whose_lock_passed_to_another_holder_commits_nothing(
    networks: Networks,
) -> None:
    await networks.create_users(3)
    await export_all(networks.response_ctx)
    ctx = networks.request_ctx
    redis = networks.request.redis
    assert redis is not None
    key = f"{networks.request.settings.network_name}:lock:import-users"
    real = ctx.streams.inbound["users"]

    async def apply_after_losing_the_lock(
        session: AsyncSession, records: Sequence[Any]
    ) -> ApplyOutcome:
        # The lock expired while this importer stalled, and another importer took it.
        await redis.set(key, "another holder")
        return await real.apply(session, records)

    losing = dataclasses.replace(
        ctx,
        streams=StreamRegistry(
            inbound={"users": InboundStream("users", real.schema, apply_after_losing_the_lock)}
        ),
    )
    [lost] = await import_pending(losing)

    assert lost.status is ImportStatus.FAILED
    assert await networks.replica() == {}
    assert len(pending_files(ctx.inbox_dir)) == 1  # left for the holder of the lock
    await redis.delete(key)
    [applied] = await import_pending(ctx)
    assert applied.status is ImportStatus.APPLIED
    assert len(await networks.replica()) == 3


@pytest.mark.parametrize("backend", ["production"], indirect=True)
async def test_an_export_whose_lock_passed_to_another_holder_commits_nothing(
    networks: Networks,
) -> None:
    await networks.create_users(2)
    ctx = networks.response_ctx
    redis = networks.response.redis
    assert redis is not None
    key = f"{networks.response.settings.network_name}:lock:export-users"
    real = ctx.streams.outbound["users"]

    async def load_after_losing_the_lock(session: AsyncSession, refs: Any) -> Any:
        await redis.set(key, "another holder")
        return await real.load(session, refs)

    losing = dataclasses.replace(
        ctx,
        streams=StreamRegistry(
            outbound={"users": dataclasses.replace(real, load=load_after_losing_the_lock)}
        ),
    )
    with pytest.raises(LockLost):
        await export_stream(losing, "users")

    assert outbox_files(ctx) == []  # no sequence taken, no batch seen by the peer
    await redis.delete(key)
    [batch] = (await export_stream(ctx, "users")).batches
    assert (batch.sequence, batch.record_count) == (1, 2)


async def test_a_killed_writers_stale_temporary_is_swept_a_writer_at_work_is_not(
    networks: Networks,
) -> None:
    ctx = networks.request_ctx
    ctx.ensure_dirs()
    stale = ctx.sent_dir / ".users-000000000007-dead.tar.tmp"
    stale.write_bytes(b"half a batch, its writer killed")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    fresh = ctx.outbox_dir / ".users-000000000008-busy.tar.tmp"
    fresh.write_bytes(b"a batch being written right now")

    report = await reconcile(ctx)
    assert [(f.kind, f.subject, f.fixable) for f in report.findings] == [
        ("stale_temporary", f"sent/{stale.name}", True)
    ]
    assert not report.clean
    assert stale.exists()

    await run_job(request_registry.get("transfer_prune"), networks.request, {})
    assert not stale.exists()
    assert fresh.exists()
    assert (await reconcile(ctx)).findings == []
