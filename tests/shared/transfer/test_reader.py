"""How a caller uses the reader: once, in a loop, and what the loop's end promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.transfer import BatchLimits, inspect_batch, open_batch, verify_batch
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE, STREAM, Question, questions


def test_records_without_a_schema_are_dicts(good_batch: Path, verify_key: Ed25519PublicKey) -> None:
    with open_batch(good_batch, verify_key=verify_key, expected_source=SOURCE) as reader:
        records = list(reader.records())

    assert records == list(questions(5))


def test_records_can_be_read_only_once(good_batch: Path, verify_key: Ed25519PublicKey) -> None:
    with open_batch(good_batch, verify_key=verify_key, expected_source=SOURCE) as reader:
        list(reader.records(Question))
        with pytest.raises(RuntimeError):
            reader.records(Question)


def test_leaving_the_loop_early_leaves_the_batch_unverified(
    good_batch: Path, verify_key: Ed25519PublicKey
) -> None:
    with open_batch(good_batch, verify_key=verify_key, expected_source=SOURCE) as reader:
        for _ in reader.records(Question):
            break

    assert not reader.verified


def test_the_header_is_known_before_any_record(
    good_batch: Path, verify_key: Ed25519PublicKey
) -> None:
    with open_batch(
        good_batch, verify_key=verify_key, expected_source=SOURCE, expected_stream=STREAM
    ) as reader:
        header = reader.header

    assert (header.stream, header.sequence, header.record_count) == (STREAM, 1, 5)


def test_records_spanning_many_read_chunks(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    """Records cross the reader's 1 MiB chunk boundaries; none is lost or split."""
    records = [{"title": f"{n:06d}" + "y" * (n * 7 % 5000)} for n in range(1200)]
    limits = BatchLimits(max_records=5000)
    [info] = write(records, limits=limits)
    assert info.payload_bytes > 2 * 1024 * 1024

    with open_batch(info.path, verify_key=verify_key, expected_source=SOURCE, limits=limits) as r:
        assert list(r.records()) == records


def test_a_record_longer_than_a_read_chunk(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    records = [{"title": "z" * (3 * 1024 * 1024)}, {"title": "short"}]
    limits = BatchLimits(max_record_bytes=4 * 1024 * 1024)
    [info] = write(records, limits=limits)

    header = verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE, limits=limits)

    assert header.record_count == 2


def test_inspect_reports_without_verifying(write: WriteBatches) -> None:
    [info] = write(questions(9), compress=True)

    summary = inspect_batch(info.path)

    assert summary.compressed
    assert not summary.encrypted
    assert ("Record-Count", "9") in summary.bag_info
    assert (summary.payload_lines, summary.payload_bytes) == (9, info.payload_bytes)
    assert summary.members[-1] == ("data/records.jsonl", info.payload_bytes)
