"""Every bad batch of the corpus is refused with its code, before the records loop ends."""

from __future__ import annotations

import base64
import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.transfer import BatchLimits, BatchRejected, open_batch, verify_batch
from tests.shared.transfer import corpus
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE, STREAM, Question, questions


def apply_batch(
    path: Path, verify_key: Ed25519PublicKey, **options: Any
) -> tuple[list[Question], bool]:
    """A consumer as the importer is one: applies records as they stream, notes completion."""
    applied: list[Question] = []
    completed = False
    with open_batch(
        path,
        verify_key=verify_key,
        expected_source=SOURCE,
        expected_stream=STREAM,
        schema_versions=("1",),
        **options,
    ) as reader:
        for record in reader.records(Question):
            applied.append(record)
        completed = True
    return applied, completed


@pytest.mark.parametrize(("case"), list(corpus.CASES), ids=list(corpus.CASES))
def test_bad_batch_is_rejected_with_its_code(
    case: str,
    good_batch: Path,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    build, code = corpus.CASES[case]
    bad = build(good_batch, tmp_path / "bad", signing_key)
    outcome: dict[str, Any] = {}

    with pytest.raises(BatchRejected) as rejected:
        outcome["applied"], outcome["completed"] = apply_batch(bad, verify_key)

    assert rejected.value.code == code, rejected.value.detail
    assert "completed" not in outcome  # the loop never ended normally: roll back
    assert rejected.value.detail
    assert rejected.value.check


def test_good_batch_passes_the_same_consumer(
    good_batch: Path, verify_key: Ed25519PublicKey
) -> None:
    applied, completed = apply_batch(good_batch, verify_key)

    assert completed
    assert len(applied) == 5


@pytest.mark.parametrize(
    "build",
    [corpus.record_count_too_high, corpus.flipped_payload_byte, corpus.member_after_payload],
)
def test_end_of_payload_checks_fail_after_records_streamed(
    build: corpus.Builder,
    good_batch: Path,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    """The dangerous cases: every record looks fine, so only the end of the loop can tell."""
    bad = build(good_batch, tmp_path / "bad", signing_key)
    applied: list[Question] = []

    with (
        pytest.raises(BatchRejected),
        open_batch(bad, verify_key=verify_key, expected_source=SOURCE) as reader,
    ):
        applied.extend(reader.records(Question))

    assert len(applied) == 5
    assert not reader.verified


def test_integrity_failure_outranks_a_bad_record(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey, verify_key: Ed25519PublicKey
) -> None:
    """A flipped byte that breaks the JSON is reported as corruption, not as a sender bug."""
    bag = corpus.take_apart(good_batch)
    payload = bytearray(bag.member(corpus.PAYLOAD).content or b"")
    payload[0] ^= 0x01
    bag.replace(corpus.PAYLOAD, bytes(payload))
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE, schema=Question)

    assert rejected.value.code == "batch.checksum"


def test_unexpected_stream(good_batch: Path, verify_key: Ed25519PublicKey) -> None:
    with pytest.raises(BatchRejected) as rejected:
        verify_batch(
            good_batch, verify_key=verify_key, expected_source=SOURCE, expected_stream="users"
        )

    assert rejected.value.code == "batch.stream"


def test_records_over_the_readers_limits(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    [info] = write(questions(20))
    checks = {
        BatchLimits(max_records=10): "batch.limit",
        BatchLimits(max_batch_bytes=1000, max_record_bytes=500): "batch.limit",
        BatchLimits(max_record_bytes=50): "batch.limit",
    }

    for limits, code in checks.items():
        with pytest.raises(BatchRejected) as rejected:
            verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE, limits=limits)
        assert rejected.value.code == code, limits


def test_a_file_larger_than_any_batch_is_not_opened(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    [info] = write({"title": "a" * 50_000} for _ in range(20))
    limits = BatchLimits(max_batch_bytes=2000, max_record_bytes=1000)
    assert info.path.stat().st_size > limits.max_archive_bytes * 1.01

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE, limits=limits)

    assert rejected.value.code == "batch.limit"
    assert "the file is" in rejected.value.detail


def test_a_payload_declared_over_the_limit_is_not_read(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    [info] = write(({"title": "a" * 60_000} for _ in range(50)), compress=True)
    assert info.path.stat().st_size < 100_000

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(
            info.path,
            verify_key=verify_key,
            expected_source=SOURCE,
            limits=BatchLimits(max_batch_bytes=200_000, max_record_bytes=100_000),
        )

    assert rejected.value.code == "batch.limit"


def test_a_decompression_bomb_stops_at_the_limit(
    good_batch: Path, tmp_path: Path, verify_key: Ed25519PublicKey
) -> None:
    """A tiny gzip file whose first tar header hides megabytes of pax data."""
    top = good_batch.name.removesuffix(".tar")
    bomb = tmp_path / (good_batch.name + ".gz")
    with (
        gzip.open(bomb, "wb") as packed,
        tarfile.open(fileobj=packed, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        info = tarfile.TarInfo(f"{top}/bagit.txt")
        info.pax_headers = {"comment": "b" * 5_000_000}
        tar.addfile(info, io.BytesIO(b""))
    assert bomb.stat().st_size < 100_000

    limits = BatchLimits(max_batch_bytes=100_000, max_record_bytes=1000)

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bomb, verify_key=verify_key, expected_source=SOURCE, limits=limits)

    assert rejected.value.code == "batch.limit"


def test_a_tag_file_over_its_bound_is_not_read(
    good_batch: Path, tmp_path: Path, verify_key: Ed25519PublicKey
) -> None:
    bag = corpus.take_apart(good_batch)
    bag.replace("signature-ed25519.txt", b"A" * 70_000)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.limit"


def test_gzip_garbage(good_batch: Path, tmp_path: Path, verify_key: Ed25519PublicKey) -> None:
    garbage = tmp_path / (good_batch.name + ".gz")
    garbage.write_bytes(b"\x1f\x8b" + b"\x00not really gzip" * 10)

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(garbage, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.format"


def test_a_name_that_is_not_a_batch_name(good_batch: Path, verify_key: Ed25519PublicKey) -> None:
    renamed = good_batch.rename(good_batch.with_name("holiday-photos.tar"))

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(renamed, verify_key=verify_key, expected_source=SOURCE)

    assert (rejected.value.code, rejected.value.check) == ("batch.format", "name")


def test_compression_must_match_the_name(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    [plain] = write(questions(2))
    [packed] = write(questions(2), compress=True)
    lying = [
        plain.path.rename(plain.path.with_name(plain.path.name + ".gz")),
        packed.path.rename(packed.path.with_name(packed.path.name.removesuffix(".gz"))),
    ]

    for path in lying:
        with pytest.raises(BatchRejected) as rejected:
            verify_batch(path, verify_key=verify_key, expected_source=SOURCE)
        assert rejected.value.code == "batch.format"


def test_a_truncated_compressed_batch(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    [info] = write(questions(200), compress=True)
    data = info.path.read_bytes()
    info.path.write_bytes(data[: len(data) // 2])

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.truncated"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda t: t.replace("Sequence: 1\n", "Sequence: one\n"), "batch.format"),
        (lambda t: t + "Stream: questions\n", "batch.format"),
        (lambda t: t + "Acked-Through: users 1\nAcked-Through: users 2\n", "batch.format"),
        (lambda t: t + "Acked-Through: users\n", "batch.format"),
        (lambda t: t + "Missing: users 3\n", "batch.format"),
        (lambda t: t.replace("Schema-Version: 1\n", ""), "batch.format"),
        (lambda t: t.replace(".1\n", ".2\n"), "batch.oxum"),
        (lambda t: t.replace("Created-At: ", "Created-At: yesterday "), "batch.format"),
        (lambda t: t.replace("Z\n", "\n"), "batch.format"),
        (lambda t: t + "just some words\n", "batch.format"),
        (lambda t: t.replace("Source-Network: request", "Source-Network: a b"), "batch.format"),
        (lambda t: t.rstrip("\n"), "batch.format"),
        (lambda t: t.replace("\n", "\r\n"), "batch.format"),
        (lambda t: t + "Missing: users 3\xff\n", "batch.encoding"),
    ],
)
def test_a_signed_but_malformed_bag_info_is_refused(
    change: Any,
    code: str,
    good_batch: Path,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    bag = corpus.take_apart(good_batch)
    text = change(bag.text("bag-info.txt"))
    bag.replace(
        "bag-info.txt", text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    )
    bag.resign(signing_key)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == code, rejected.value.detail


def test_a_batch_id_that_is_not_hex_is_refused(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey, verify_key: Ed25519PublicKey
) -> None:
    bag = corpus.take_apart(good_batch)
    batch_id = bag.top.rsplit("-", 1)[1]
    bag.set_info("Batch-Id", batch_id.upper())
    bag.resign(signing_key)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.format"


@pytest.mark.parametrize(
    ("tag_file", "extra", "code"),
    [
        ("manifest-sha256.txt", f"{'0' * 64}  data/other.jsonl\n", "batch.format"),
        ("manifest-sha256.txt", "not a manifest line\n", "batch.format"),
        ("tagmanifest-sha256.txt", f"{'0' * 64}  signature-ed25519.txt\n", "batch.tag_manifest"),
    ],
)
def test_manifests_list_exactly_what_the_format_says(
    tag_file: str,
    extra: str,
    code: str,
    good_batch: Path,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    bag = corpus.take_apart(good_batch)
    bag.replace(tag_file, (bag.text(tag_file) + extra).encode())
    if tag_file == "manifest-sha256.txt":
        bag.resign(signing_key)
    else:
        manifest = bag.member("tagmanifest-sha256.txt").content or b""
        signature = base64.b64encode(signing_key.sign(manifest)) + b"\n"
        bag.replace("signature-ed25519.txt", signature)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == code, rejected.value.detail


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (corpus.not_an_object, "batch.schema"),
        (corpus.invalid_utf8, "batch.encoding"),
        (corpus.invalid_json, "batch.schema"),
    ],
)
def test_without_a_schema_records_must_still_be_json_objects(
    build: corpus.Builder,
    code: str,
    good_batch: Path,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    bad = build(good_batch, tmp_path / "bad", signing_key)

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == code


def test_a_bad_record_early_in_a_big_batch(
    write: WriteBatches,
    tmp_path: Path,
    signing_key: Ed25519PrivateKey,
    verify_key: Ed25519PublicKey,
) -> None:
    [info] = write({"title": "t" * 1000, "n": n} for n in range(5000))
    bag = corpus.take_apart(info.path)
    lines = (bag.member(corpus.PAYLOAD).content or b"").splitlines()
    lines[3] = b"{broken"
    bag.set_payload(lines, signing_key)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(bad, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.schema"
    assert "record 4 " in rejected.value.detail


def test_a_record_longer_than_the_limit_and_a_read_chunk(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    big = BatchLimits(max_record_bytes=4 * 1024 * 1024)
    [info] = write([{"title": "short"}, {"title": "w" * (2_500_000)}], limits=big)

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE)

    assert (rejected.value.code, rejected.value.detail) == (
        "batch.limit",
        "record 2 is over 1048576 bytes",
    )
