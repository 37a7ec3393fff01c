"""Users cross from the response network to the request network through batch files."""

from __future__ import annotations

import dataclasses
import shutil
import stat

from sqlalchemy import select

from core.audit import Actor
from request_network.audit.models import AuditEvent
from response_network.settings import ResponseSettings
from response_network.users.models import User
from shared.exchange.acks import declare_gap_lost, outgoing_acks
from shared.exchange.export import export_all, export_stream, send_heartbeat_if_quiet
from shared.exchange.files import requeue
from shared.exchange.importing import ImportStatus, import_pending
from shared.exchange.status import transfer_status
from shared.transfer import generate_age_identity
from tests.shared.exchange.conftest import Networks, outbox_files


async def test_users_reach_the_replica_and_the_batch_is_ledgered(networks: Networks) -> None:
    ids = await networks.create_users(3)
    users, catalog, responses = await export_all(networks.response_ctx)
    assert (users.stream, len(users.batches), users.records) == ("users", 1, 3)
    assert (catalog.stream, catalog.batches) == ("catalog", [])
    assert (responses.stream, responses.batches) == ("responses", [])

    [imported] = await import_pending(networks.request_ctx)

    assert imported.status is ImportStatus.APPLIED
    assert imported.applied == 3
    assert await networks.replica() == await networks.master()
    assert set(await networks.replica()) == set(ids)
    assert [p.name for p in networks.request_ctx.processed_dir.iterdir()] == [imported.file]
    assert list(networks.request_ctx.inbox_dir.iterdir()) == []


async def test_nothing_pending_exports_nothing(networks: Networks) -> None:
    results = await export_all(networks.response_ctx)
    assert [result.batches for result in results] == [[], [], []]
    assert outbox_files(networks.response_ctx) == []


async def test_a_change_bumps_the_version_and_travels(networks: Networks) -> None:
    [user_id] = await networks.create_users(1)
    await export_all(networks.response_ctx)
    await import_pending(networks.request_ctx)
    async with networks.response.unit_of_work() as uow:
        user = await uow.session.get(User, user_id)
        assert user is not None
        user.active = False
    await export_all(networks.response_ctx)
    await import_pending(networks.request_ctx)
    version, _, active = (await networks.replica())[user_id]
    assert (version, active) == (2, False)


async def test_a_duplicate_batch_is_not_applied_twice(networks: Networks) -> None:
    await networks.create_users(2)
    await export_all(networks.response_ctx)
    [first] = await import_pending(networks.request_ctx)
    before = await networks.replica()
    # The same file arrives again (a resend, or a copy taken twice off removable media).
    shutil.copyfile(
        networks.request_ctx.processed_dir / first.file, networks.request_ctx.inbox_dir / first.file
    )
    [again] = await import_pending(networks.request_ctx)
    assert again.status is ImportStatus.DUPLICATE
    assert await networks.replica() == before


async def test_out_of_order_delivery_ends_as_in_order_and_tracks_gaps(networks: Networks) -> None:
    ctx = networks.response_ctx
    ctx.limits = type(ctx.limits)(max_batch_bytes=1 << 20, max_records=1, max_record_bytes=4096)
    ids = await networks.create_users(3)
    await export_stream(ctx, "users")
    async with networks.response.unit_of_work() as uow:  # a later version of the first user
        user = await uow.session.get(User, ids[0])
        assert user is not None
        user.display_name = "renamed"
    await export_stream(ctx, "users")
    files = outbox_files(ctx)
    assert len(files) == 4
    inbox = networks.request_ctx.inbox_dir
    # Deliver 4 and 3 first, then 1, then 2.
    stash = ctx.root / "stash"
    stash.mkdir()
    for f in files:
        shutil.move(str(f), stash / f.name)
    order = [files[3], files[2], files[0]]
    for f in order:
        shutil.move(str(stash / f.name), inbox / f.name)
        await import_pending(networks.request_ctx)
    async with networks.request.unit_of_work() as uow:
        acks = await outgoing_acks(uow.session, networks.request_ctx)
    assert (acks["users"].acked_through, acks["users"].missing) == (4, [2])

    shutil.move(str(stash / files[1].name), inbox / files[1].name)
    await import_pending(networks.request_ctx)
    async with networks.request.unit_of_work() as uow:
        acks = await outgoing_acks(uow.session, networks.request_ctx)
    assert (acks["users"].acked_through, acks["users"].missing) == (4, [])
    assert await networks.replica() == await networks.master()


async def test_acknowledgements_flow_back_and_missing_batches_are_resent(
    networks: Networks,
) -> None:
    response, request = networks.response_ctx, networks.request_ctx
    response.limits = type(response.limits)(
        max_batch_bytes=1 << 20, max_records=1, max_record_bytes=4096
    )
    await networks.create_users(3)
    await export_stream(response, "users")
    first, lost, third = outbox_files(response)
    lost.unlink()  # lost in transit
    await import_pending(request)

    # The request side has nothing to say: its heartbeat carries the acknowledgement.
    heartbeat = await send_heartbeat_if_quiet(request)
    assert heartbeat is not None
    assert len(heartbeat.batches) == 1
    [imported] = await import_pending(response)
    assert imported.stream == "control"

    async with networks.response.unit_of_work() as uow:
        status = await transfer_status(session=uow.session, ctx=response)
    [users] = [s for s in status.outbound if s.stream == "users"]
    assert (users.last_sequence, users.unacknowledged) == (3, 1)
    # The missing batch is back in the outbox, byte for byte the kept copy.
    [resent] = outbox_files(response)
    assert resent.name == lost.name
    assert resent.read_bytes() == (response.sent_dir / lost.name).read_bytes()
    await import_pending(request)
    assert await networks.replica() == await networks.master()
    assert first.name != third.name


async def test_encrypted_batches_travel_and_a_wrong_identity_is_quarantined(
    networks: Networks,
) -> None:
    identity, recipient = generate_age_identity()
    sender = dataclasses.replace(
        networks.response_ctx,
        keys=dataclasses.replace(networks.response_ctx.keys, peer_age_recipient=recipient),
    )
    receiver = networks.request_ctx
    await networks.create_users(2)
    await export_all(sender)
    [batch] = outbox_files(sender)
    assert batch.name.endswith(".tar.age")
    assert b"@example.org" not in batch.read_bytes()

    stranger, _ = generate_age_identity()
    wrong = dataclasses.replace(
        receiver, keys=dataclasses.replace(receiver.keys, age_identity=stranger)
    )
    [refused] = await import_pending(wrong)
    assert (refused.status, refused.code) == (ImportStatus.QUARANTINED, "batch.decrypt")
    assert await networks.replica() == {}

    requeue(batch.name, receiver.quarantine_dir, receiver.inbox_dir)
    right = dataclasses.replace(
        receiver, keys=dataclasses.replace(receiver.keys, age_identity=identity)
    )
    [applied] = await import_pending(right)
    assert applied.status is ImportStatus.APPLIED
    assert await networks.replica() == await networks.master()


async def test_a_gap_declared_lost_is_no_longer_reported(networks: Networks) -> None:
    response, request = networks.response_ctx, networks.request_ctx
    response.limits = type(response.limits)(
        max_batch_bytes=1 << 20, max_records=1, max_record_bytes=4096
    )
    await networks.create_users(2)
    await export_stream(response, "users")
    first, _second = outbox_files(response)
    first.unlink()
    await import_pending(request)
    actor = Actor(id=None, name="operator-on-call")
    async with networks.request.unit_of_work() as uow:
        assert (await outgoing_acks(uow.session, request))["users"].missing == [1]
        assert await declare_gap_lost(
            session=uow.session, ctx=request, stream="users", sequence=1, actor=actor
        )
        assert not await declare_gap_lost(
            session=uow.session, ctx=request, stream="users", sequence=1, actor=actor
        )
    async with networks.request.unit_of_work() as uow:
        acks = await outgoing_acks(uow.session, request)
        events = (
            await uow.session.execute(
                select(AuditEvent.actor_name).where(
                    AuditEvent.action == "transfer.gap_declared_lost"
                )
            )
        ).all()
    assert (acks["users"].acked_through, acks["users"].missing) == (2, [])
    assert [e.actor_name for e in events] == ["operator-on-call"]


async def test_batch_files_are_written_with_the_configured_mode(
    networks: Networks, response_settings: ResponseSettings
) -> None:
    await networks.create_users(1)
    await export_all(networks.response_ctx)
    response_settings.batch_file_mode = 0o600
    await networks.create_users(1)
    await export_all(networks.response_ctx)

    kept = sorted(networks.response_ctx.sent_dir.iterdir())
    published = outbox_files(networks.response_ctx)
    assert [stat.S_IMODE(path.stat().st_mode) for path in kept] == [0o640, 0o600]
    assert [stat.S_IMODE(path.stat().st_mode) for path in published] == [0o640, 0o600]
