"""Every bad batch is quarantined with its reason and changes nothing in the database."""

from __future__ import annotations

import asyncio
import json
import shutil
import tarfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from request_network.transfer.models import InboxBatch
from response_network.transfer.models import OutboxBatch
from shared.exchange import importing
from shared.exchange.export import export_all
from shared.exchange.importing import ImportStatus, import_file, import_pending
from shared.exchange.keys import signing_key_path
from shared.transfer import BatchReader, load_private_key
from shared.transfer import open_batch as real_open_batch
from tests.shared.exchange.conftest import Networks, outbox_files
from tests.shared.transfer import corpus


async def _inbox_rows(networks: Networks) -> int:
    async with networks.request.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(InboxBatch)) or 0)


@pytest.fixture
async def good_batch(networks: Networks, tmp_path: Path) -> Path:
    await networks.create_users(6)
    await export_all(networks.response_ctx)
    [published] = outbox_files(networks.response_ctx)
    good = tmp_path / "good" / published.name
    good.parent.mkdir()
    shutil.move(str(published), good)
    return good


# The corpus is about the file, which both backends read alike: all of it on the embedded
# default, and one case per stage of the check (archive, signature, records) on PostgreSQL,
# where the quarantine's bookkeeping and "nothing applied" meet the other dialect.
ON_POSTGRES = ("truncated tar", "forged signature", "invalid json")
CORPUS = [pytest.param(case, "embedded", id=f"embedded-{case}") for case in corpus.CASES] + [
    pytest.param(case, "production", id=f"production-{case}") for case in ON_POSTGRES
]


@pytest.mark.parametrize(("case", "backend"), CORPUS, indirect=["backend"])
async def test_bad_batch_is_quarantined_and_applies_nothing(
    case: str, networks: Networks, good_batch: Path, tmp_path: Path
) -> None:
    build, code = corpus.CASES[case]
    key = load_private_key(signing_key_path(networks.response.settings))
    bad = build(good_batch, tmp_path / "bad", key)
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.move(str(bad), inbox / bad.name)

    [result] = await import_pending(networks.request_ctx)

    assert (result.status, result.code) == (ImportStatus.QUARANTINED, code)
    assert await networks.replica() == {}
    assert await _inbox_rows(networks) == 0
    quarantine = networks.request_ctx.quarantine_dir
    reason = json.loads((quarantine / f"{bad.name}.reason.json").read_text())
    assert reason["code"] == code
    assert reason["detail"]
    assert (quarantine / bad.name).exists()
    assert list(inbox.iterdir()) == []


async def test_partially_written_temp_file_is_ignored(networks: Networks, good_batch: Path) -> None:
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    partial = inbox / f".{good_batch.name}.tmp"
    partial.write_bytes(good_batch.read_bytes()[:1000])

    assert await import_pending(networks.request_ctx) == []
    assert partial.exists()
    assert not any(networks.request_ctx.quarantine_dir.iterdir())


async def test_unknown_stream_and_foreign_names_are_quarantined(networks: Networks) -> None:
    ctx = networks.request_ctx
    ctx.ensure_dirs()
    (ctx.inbox_dir / "notes.txt").write_text("hello")
    (ctx.inbox_dir / f"requests-000000000001-{'a' * 32}.tar").write_bytes(b"x")
    results = {r.file: r.code for r in await import_pending(ctx)}
    assert results == {
        "notes.txt": "batch.format",
        f"requests-000000000001-{'a' * 32}.tar": "batch.stream",
    }


async def test_a_replayed_sequence_with_other_content_is_refused(
    networks: Networks, good_batch: Path, tmp_path: Path
) -> None:
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(good_batch, inbox / good_batch.name)
    [applied] = await import_pending(networks.request_ctx)
    assert applied.status is ImportStatus.APPLIED
    before = await networks.replica()
    # The sender's ledger was lost and sequence 1 was reused for other records.
    await networks.create_users(1)
    async with networks.response.unit_of_work() as uow:
        await uow.session.execute(delete(OutboxBatch))
    await export_all(networks.response_ctx)
    [reused] = outbox_files(networks.response_ctx)
    shutil.move(str(reused), inbox / reused.name)

    result = await import_file(networks.request_ctx, inbox / reused.name)

    assert (result.status, result.code) == (ImportStatus.QUARANTINED, "batch.conflict")
    assert await networks.replica() == before


async def test_a_long_name_bomb_costs_little_and_holds_up_no_other_stream(
    networks: Networks, good_batch: Path
) -> None:
    """The first member declares a 4 GiB GNU long name and 256 MiB of zeros follow; it
    sorts first in the inbox, and the users batch behind it is still imported."""
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    bomb = inbox / f"control-000000000000-{uuid.uuid4().hex}.tar.gz"
    bomb.write_bytes(corpus.extension_bomb(tarfile.GNUTYPE_LONGNAME, 4 * corpus.GiB))
    shutil.copyfile(good_batch, inbox / good_batch.name)

    tracemalloc.start()
    started = time.monotonic()
    try:
        results = await import_pending(networks.request_ctx)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started

    assert [(r.file, r.status, r.code) for r in results] == [
        (bomb.name, ImportStatus.QUARANTINED, "batch.limit"),
        (good_batch.name, ImportStatus.APPLIED, None),
    ]
    assert peak < 50 * corpus.MiB
    assert elapsed < 10
    assert len(await networks.replica()) == 6


async def test_whatever_reading_a_file_raises_quarantines_that_file_only(
    networks: Networks, good_batch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    @contextmanager
    def open_batch(path: Path, **options: Any) -> Iterator[BatchReader]:
        if path.name.startswith("control-"):
            raise RecursionError("maximum recursion depth exceeded")
        with real_open_batch(path, **options) as reader:
            yield reader

    monkeypatch.setattr(importing, "open_batch", open_batch)
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    odd = inbox / f"control-000000000001-{uuid.uuid4().hex}.tar"
    odd.write_bytes(b"whatever makes a library fail")
    shutil.copyfile(good_batch, inbox / good_batch.name)

    results = await import_pending(networks.request_ctx)

    assert [(r.file, r.status, r.code) for r in results] == [
        (odd.name, ImportStatus.QUARANTINED, "batch.unreadable"),
        (good_batch.name, ImportStatus.APPLIED, None),
    ]
    reason = json.loads(
        (networks.request_ctx.quarantine_dir / f"{odd.name}.reason.json").read_text()
    )
    assert "RecursionError" in reason["detail"]
    assert len(await networks.replica()) == 6


async def test_the_api_answers_while_a_batch_is_verified(
    networks: Networks,
    good_batch: Path,
    request_client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The embedded mode imports on the API's event loop: opening and verifying a batch
    must leave that loop free, here proven by an API call made while a batch is opened."""
    loop = asyncio.get_running_loop()
    answers: list[int] = []

    @contextmanager
    def open_batch(path: Path, **options: Any) -> Iterator[BatchReader]:
        call = asyncio.run_coroutine_threadsafe(request_client.get("/health"), loop)
        answers.append(call.result(timeout=10).status_code)  # blocks a loop that opens here
        with real_open_batch(path, **options) as reader:
            yield reader

    monkeypatch.setattr(importing, "open_batch", open_batch)
    inbox = networks.request_ctx.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(good_batch, inbox / good_batch.name)

    [result] = await import_pending(networks.request_ctx)

    assert (result.status, answers) == (ImportStatus.APPLIED, [200])
