"""Batch file names and the atomic moves of the transfer directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.exchange.files import (
    is_in_flight,
    list_quarantined,
    place,
    quarantine,
    requeue,
)
from shared.transfer.bag import parse_batch_name

NAME = "users-000000000042-0f8fad5bd9cb469fa16570867728950e.tar"


def test_batch_names_parse_and_others_do_not() -> None:
    parsed = parse_batch_name(NAME)
    assert parsed is not None
    assert (parsed.stream, parsed.sequence) == ("users", 42)
    assert parse_batch_name(NAME + ".age") is not None
    assert parse_batch_name("users-42-x.tar") is None
    assert parse_batch_name("../" + NAME) is None
    assert is_in_flight(f".{NAME}.tmp")


def test_place_keeps_or_moves(tmp_path: Path) -> None:
    source = tmp_path / "sent" / NAME
    source.parent.mkdir()
    source.write_bytes(b"batch")
    kept = place(source, tmp_path / "outbox", keep_source=True)
    assert source.exists()
    assert kept.read_bytes() == b"batch"
    moved = place(kept, tmp_path / "processed", keep_source=False)
    assert not kept.exists()
    assert moved.read_bytes() == b"batch"
    assert not list((tmp_path / "outbox").iterdir())


def test_quarantine_records_the_reason_and_requeue_undoes_it(tmp_path: Path) -> None:
    inbox, quarantine_dir = tmp_path / "inbox", tmp_path / "quarantine"
    inbox.mkdir()
    for _ in range(2):  # the same name quarantined twice keeps both
        (inbox / NAME).write_bytes(b"bad")
        quarantine(inbox / NAME, quarantine_dir, code="batch.checksum", detail="x", check="payload")
    reasons = list_quarantined(quarantine_dir)
    assert sorted(r.file for r in reasons) == [NAME, f"{NAME}.1"]
    reason = json.loads((quarantine_dir / f"{NAME}.reason.json").read_text())
    assert (reason["code"], reason["check"]) == ("batch.checksum", "payload")

    requeued = requeue(f"{NAME}.1", quarantine_dir, inbox)
    assert requeued == inbox / NAME
    assert [r.file for r in list_quarantined(quarantine_dir)] == [NAME]
    with pytest.raises(FileNotFoundError):
        requeue("../etc/passwd", quarantine_dir, inbox)
