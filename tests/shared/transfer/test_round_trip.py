"""What the writer writes, the reader gives back: records, splits, acknowledgements, keys."""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.transfer import (
    AckState,
    BatchInfo,
    BatchLimits,
    BatchRejected,
    generate_age_identity,
    open_batch,
    parse_batch_name,
    unpack_batch,
    verify_batch,
)
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE, STREAM, Question, questions


def read_back(info: BatchInfo, verify_key: Ed25519PublicKey, **options: Any) -> list[Question]:
    with open_batch(info.path, verify_key=verify_key, expected_source=SOURCE, **options) as reader:
        records = list(reader.records(Question))
        assert reader.verified
    return records


def test_records_come_back_identical(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    written = list(questions(250))

    [info] = write(written)

    assert [r.model_dump(mode="json") for r in read_back(info, verify_key)] == [
        Question.model_validate(r).model_dump(mode="json") for r in written
    ]
    assert (info.stream, info.sequence, info.source_network, info.record_count) == (
        STREAM,
        1,
        SOURCE,
        250,
    )


def test_pydantic_records_are_written_in_json_mode(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    models = [Question.model_validate(r) for r in questions(3)]

    [info] = write(models)

    assert read_back(info, verify_key) == models


def test_the_file_is_described_exactly(write: WriteBatches) -> None:
    [info] = write(questions(10))

    data = info.path.read_bytes()
    assert info.file_sha256 == hashlib.sha256(data).hexdigest()
    assert info.file_bytes == len(data)
    name = parse_batch_name(info.path.name)
    assert name is not None
    assert (name.stream, name.sequence, name.batch_id) == (STREAM, 1, info.batch_id)
    assert len(info.batch_id) == 32


def test_tag_files_come_first_and_the_payload_last(write: WriteBatches) -> None:
    [info] = write(questions(3))

    with tarfile.open(info.path) as tar:
        names = [member.name.partition("/")[2] for member in tar.getmembers()]
        formats = {member.type for member in tar.getmembers()}

    assert names == [
        "",
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "signature-ed25519.txt",
        "data",
        "data/records.jsonl",
    ]
    assert formats == {tarfile.DIRTYPE, tarfile.REGTYPE}


def test_split_by_record_count_gives_consecutive_sequences(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    infos = write(questions(25), first_sequence=41, limits=BatchLimits(max_records=10))

    assert [(i.sequence, i.record_count) for i in infos] == [(41, 10), (42, 10), (43, 5)]
    assert len({i.batch_id for i in infos}) == 3
    titles = [q.title for info in infos for q in read_back(info, verify_key)]
    assert titles == [q["title"] for q in questions(25)]


def test_split_by_bytes_keeps_every_payload_under_the_limit(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    limits = BatchLimits(max_batch_bytes=2000, max_record_bytes=1000)

    infos = write(questions(60), limits=limits)

    assert len(infos) > 3
    assert [i.sequence for i in infos] == list(range(1, len(infos) + 1))
    assert all(0 < i.payload_bytes <= 2000 for i in infos)
    assert sum(len(read_back(i, verify_key, limits=limits)) for i in infos) == 60


def test_an_empty_batch_is_a_heartbeat(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    acks = {"answers": AckState(acked_through=7)}

    [info] = write([], acks=acks)

    assert (info.record_count, info.payload_bytes) == (0, 0)
    header = verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE)
    assert header.record_count == 0
    assert header.acks == acks


def test_acknowledgements_round_trip(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    acks = {
        "requests": AckState(acked_through=41, missing=[17, 18]),
        "users": AckState(acked_through=0),
        "catalog": AckState(acked_through=9, missing=list(range(100, 300, 2))),
    }

    [info] = write(questions(1), acks=acks)

    header = verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE)
    assert header.acks == acks
    with tarfile.open(info.path) as tar:
        bag_info = next(m for m in tar if m.name.endswith("bag-info.txt"))
        handle = tar.extractfile(bag_info)
        assert handle is not None
        text = handle.read().decode()
    assert "Acked-Through: requests 41\nMissing: requests 17,18\n" in text
    assert text.count("Missing: catalog ") == 2


def test_header_carries_what_the_writer_knew(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    [info] = write(questions(4), schema_version="3")

    header = verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE, schema=Question)

    assert header.schema_version == "3"
    assert header.created_at == info.created_at
    assert (header.payload_sha256, header.payload_bytes) == (
        info.payload_sha256,
        info.payload_bytes,
    )


def test_encrypted_round_trip(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    identity, recipient = generate_age_identity()

    [info] = write(questions(30), age_recipient=recipient)

    assert info.path.name.endswith(".tar.age")
    assert b"Question number" not in info.path.read_bytes()
    assert len(read_back(info, verify_key, age_identity=identity)) == 30
    assert [p.name for p in info.path.parent.iterdir()] == [info.path.name]


def test_encrypted_and_compressed_round_trip(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    identity, recipient = generate_age_identity()

    [info] = write(questions(30), age_recipient=recipient, compress=True)

    assert info.path.name.endswith(".tar.gz.age")
    assert len(read_back(info, verify_key, age_identity=identity)) == 30


@pytest.mark.parametrize("identity", ["wrong", "none", "invalid"])
def test_encrypted_batch_without_the_right_identity(
    identity: str, write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    _, recipient = generate_age_identity()
    [info] = write(questions(3), age_recipient=recipient)
    given = {"wrong": generate_age_identity()[0], "none": None, "invalid": "AGE-SECRET-KEY-1NOPE"}

    with pytest.raises(BatchRejected) as rejected:
        read_back(info, verify_key, age_identity=given[identity])

    assert rejected.value.code == "batch.decrypt"


def test_truncated_encrypted_batch(write: WriteBatches, verify_key: Ed25519PublicKey) -> None:
    identity, recipient = generate_age_identity()
    [info] = write(questions(500), age_recipient=recipient)
    data = info.path.read_bytes()
    info.path.write_bytes(data[: len(data) - 100])

    with pytest.raises(BatchRejected) as rejected:
        read_back(info, verify_key, age_identity=identity)

    assert rejected.value.code == "batch.decrypt"


def test_encrypted_content_under_a_plain_name_is_refused(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    _, recipient = generate_age_identity()
    [info] = write(questions(3), age_recipient=recipient)
    plain_name = info.path.rename(info.path.with_name(info.path.name.removesuffix(".age")))

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(plain_name, verify_key=verify_key, expected_source=SOURCE)

    assert rejected.value.code == "batch.format"


@pytest.mark.parametrize("options", [{}, {"compress": True}, {"encrypted": True}])
def test_unpacked_bag_validates_with_bagit(
    options: dict[str, Any], write: WriteBatches, tmp_path: Path
) -> None:
    identity, recipient = generate_age_identity()
    encrypted = options.pop("encrypted", False)
    [info] = write(
        questions(12),
        acks={"answers": AckState(acked_through=3, missing=[2])},
        age_recipient=recipient if encrypted else None,
        **options,
    )

    bag_path = unpack_batch(info.path, tmp_path / "bags", age_identity=identity)

    bag = bagit.Bag(str(bag_path))
    bag.validate()
    assert bag.info["Record-Count"] == "12"
    assert sorted(p.name for p in bag_path.iterdir()) == [
        "bag-info.txt",
        "bagit.txt",
        "data",
        "manifest-sha256.txt",
        "signature-ed25519.txt",
        "tagmanifest-sha256.txt",
    ]
    assert [p.name for p in (tmp_path / "bags").iterdir()] == [bag_path.name]


def test_an_empty_bag_validates_with_bagit(write: WriteBatches, tmp_path: Path) -> None:
    [info] = write([])

    bagit.Bag(str(unpack_batch(info.path, tmp_path))).validate()


def test_unpack_refuses_to_overwrite(write: WriteBatches, tmp_path: Path) -> None:
    [info] = write(questions(1))
    unpack_batch(info.path, tmp_path)

    with pytest.raises(FileExistsError):
        unpack_batch(info.path, tmp_path)


def test_unpack_refuses_unsafe_members_and_leaves_nothing(good_batch: Path, tmp_path: Path) -> None:
    from tests.shared.transfer.corpus import take_apart

    bag = take_apart(good_batch)
    bag.add("notes.txt", index=3)
    bad = bag.write(tmp_path / "bad")

    with pytest.raises(BatchRejected):
        unpack_batch(bad, tmp_path / "bags")

    assert list((tmp_path / "bags").iterdir()) == []


def test_no_temporary_file_is_left_after_writing(write: WriteBatches, outbox: Path) -> None:
    infos = write(questions(30), limits=BatchLimits(max_records=7))

    assert sorted(p.name for p in outbox.iterdir()) == sorted(i.path.name for i in infos)


def test_batches_appear_only_when_all_are_complete(write: WriteBatches, outbox: Path) -> None:
    seen: list[list[str]] = []

    def watched() -> Iterator[dict[str, Any]]:
        for number, record in enumerate(questions(12)):
            if number in (5, 11):
                seen.append(sorted(p.name for p in outbox.iterdir()))
            yield record

    infos = write(watched(), limits=BatchLimits(max_records=4))

    assert [len(names) for names in seen] == [1, 2]
    assert all(name.startswith(".") and name.endswith(".tmp") for names in seen for name in names)
    assert sorted(p.name for p in outbox.iterdir()) == sorted(i.path.name for i in infos)


@pytest.mark.parametrize(
    ("umask", "options", "mode"), [(0o022, {}, 0o640), (0o077, {"file_mode": 0o644}, 0o644)]
)
def test_batch_files_get_their_mode_whatever_the_umask(
    write: WriteBatches, umask: int, options: dict[str, Any], mode: int
) -> None:
    previous = os.umask(umask)
    try:
        [info] = write(questions(1), **options)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(info.path.stat().st_mode) == mode


def test_a_failing_record_source_leaves_no_file(write: WriteBatches, outbox: Path) -> None:
    def failing() -> Iterator[dict[str, Any]]:
        yield from questions(9)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write(failing(), limits=BatchLimits(max_records=4))

    assert list(outbox.iterdir()) == []


def test_an_oversize_record_is_the_callers_bug(write: WriteBatches, outbox: Path) -> None:
    records = [*questions(3), {"title": "x" * 2000}]

    with pytest.raises(ValueError, match="max_record_bytes"):
        write(records, limits=BatchLimits(max_record_bytes=1000))

    assert list(outbox.iterdir()) == []


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"stream": "Bad Stream"}, "stream name"),
        ({"source_network": "no spaces allowed"}, "network name"),
        ({"first_sequence": -1}, "out of range"),
        ({"first_sequence": 10**12}, "out of range"),
        ({"acks": {"Bad": AckState(acked_through=1)}}, "acknowledged stream name"),
        ({"acks": {"users": AckState(acked_through=-1)}}, "must not be negative"),
        ({"age_recipient": "age1notarecipient"}, "age X25519 recipient"),
        ({"schema_version": "two words"}, "schema version"),
    ],
)
def test_what_the_format_cannot_carry_is_refused(
    overrides: dict[str, Any], says: str, write: WriteBatches, outbox: Path
) -> None:
    with pytest.raises(ValueError, match=says):
        write(questions(1), **overrides)

    assert not outbox.exists() or list(outbox.iterdir()) == []


def test_too_many_missing_sequences_are_refused(write: WriteBatches) -> None:
    with pytest.raises(ValueError, match="64 KiB"):
        write([], acks={"users": AckState(acked_through=0, missing=list(range(1, 20_000)))})


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="positive"):
        BatchLimits(max_records=0)
    with pytest.raises(ValueError, match="room for one record"):
        BatchLimits(max_batch_bytes=100, max_record_bytes=100)
