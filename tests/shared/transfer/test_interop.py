"""Batches made by other tools, in the order the format asks for, are accepted."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.transfer import unpack_batch, verify_batch
from tests.shared.transfer import corpus
from tests.shared.transfer.samples import SOURCE, Question

ORDER = [
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
    "signature-ed25519.txt",
    "data/records.jsonl",
]


@pytest.mark.parametrize("tar_format", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_pax_and_gnu_headers_are_read(
    tar_format: int, good_batch: Path, tmp_path: Path, verify_key: Ed25519PublicKey
) -> None:
    bag = corpus.take_apart(good_batch)
    for member in bag.members:
        member.info.pax_headers = {"comment": "rewritten by another tool"}
        member.info.uname = "someone"
    rewritten = bag.write(tmp_path / "rewritten", tar_format=tar_format)

    header = verify_batch(rewritten, verify_key=verify_key, expected_source=SOURCE, schema=Question)

    assert header.record_count == 5


@pytest.mark.parametrize("tar_format", ["ustar", "pax", "gnu"])
def test_a_bag_tarred_by_the_tar_program(
    tar_format: str, good_batch: Path, tmp_path: Path, verify_key: Ed25519PublicKey
) -> None:
    bag = unpack_batch(good_batch, tmp_path / "bags")
    retarred = tmp_path / "retarred" / good_batch.name
    retarred.parent.mkdir()

    subprocess.run(
        ["tar", "-cf", str(retarred), f"--format={tar_format}", "-C", str(bag.parent)]
        + [f"{bag.name}/{name}" for name in ORDER],
        check=True,
    )

    header = verify_batch(retarred, verify_key=verify_key, expected_source=SOURCE, schema=Question)
    assert header.record_count == 5
