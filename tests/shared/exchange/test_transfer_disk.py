"""A full or read-only transfer directory (a real 64 KiB tmpfs, filled, or remounted
read-only): export fails cleanly, takes no sequence and leaves its changes pending, the
readiness check and the `transfer_disk` alert say so, and export resumes once the file
system takes writes again."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.jobs import run_job
from response_network.jobs import registry
from response_network.runtime import ResponseRuntime
from response_network.transfer.models import ChangeLog, OutboxBatch
from response_network.transfer.service import transfer_context
from tests.ops.test_alerts_support import evaluate, open_alerts
from tests.shared.exchange.conftest import Networks

TMPFS_BYTES = 64 * 1024


@pytest.fixture
def backend() -> str:
    return "embedded"


def _mount(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mount", *args], capture_output=True, check=False)


@pytest.fixture
def transfer_fs(tmp_path: Path) -> Iterator[Path]:
    """The transfer directory the settings name, on a tmpfs of its own (mounting is root's)."""
    root = tmp_path / "transfer"
    root.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(root))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def _fill(root: Path) -> Path:
    """Write until the file system refuses: ENOSPC is what a full disk answers."""
    filler = root / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    return filler


async def _export(runtime: ResponseRuntime) -> None:
    await run_job(registry.get("transfer_export"), runtime, {})


async def _ledger(runtime: ResponseRuntime) -> tuple[int, int]:
    """(batches in the outbox ledger, changes no batch has taken)."""
    async with runtime.unit_of_work() as uow:
        batches = await uow.session.scalar(select(func.count()).select_from(OutboxBatch))
        pending = await uow.session.scalar(select(func.count()).where(ChangeLog.batch_id.is_(None)))
    return int(batches or 0), int(pending or 0)


async def test_a_full_or_read_only_transfer_directory_fails_the_export_cleanly_until_it_frees(
    transfer_fs: Path, networks: Networks
) -> None:
    runtime = networks.response
    ctx = transfer_context(runtime)
    ctx.ensure_dirs()
    await networks.create_users(3)

    assert _mount("-o", "remount,ro", str(transfer_fs)).returncode == 0
    with pytest.raises(OSError, match="Read-only file system") as read_only:
        await _export(runtime)
    assert read_only.value.errno == errno.EROFS
    assert await _ledger(runtime) == (0, 3)
    with pytest.raises(OSError, match="Read-only"):  # /health/ready: not ready: transfer_dir
        await runtime.readiness_checks()["transfer_dir"]()
    assert _mount("-o", "remount,rw", str(transfer_fs)).returncode == 0

    filler = _fill(transfer_fs)
    with pytest.raises(OSError, match="No space left") as full:
        await _export(runtime)
    assert full.value.errno == errno.ENOSPC
    assert await _ledger(runtime) == (0, 3)
    with pytest.raises(OSError, match="No space left"):
        await runtime.readiness_checks()["transfer_dir"]()
    leftovers = [p.name for d in ctx.own_dirs for p in d.iterdir()]
    assert leftovers == []  # not even a hidden temporary
    await evaluate(runtime, alert_disk_used_ratio=0.95)
    assert [a.subject for a in await open_alerts(runtime, "transfer_disk")] == [str(ctx.root)]

    filler.unlink()
    await _export(runtime)
    assert await _ledger(runtime) == (1, 0)
    assert [p.name.split("-")[:2] for p in ctx.outbox_dir.iterdir()] == [["users", "000000000001"]]
