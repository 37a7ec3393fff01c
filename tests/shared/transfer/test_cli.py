"""`airlock transfer verify | inspect | unpack`, driven as an operator would."""

from __future__ import annotations

from pathlib import Path

import bagit
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from shared.platform.cli import app as airlock
from shared.transfer import (
    generate_age_identity,
    generate_signing_key,
    save_age_identity,
    save_public_key,
)
from tests.shared.transfer import corpus
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE, questions

runner = CliRunner()


def peer_key_file(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    path = tmp_path / "peer.pub"
    save_public_key(key.public_key(), path)
    return path


def test_verify_a_good_batch(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    key_file = peer_key_file(tmp_path, signing_key)

    result = runner.invoke(
        airlock,
        ["transfer", "verify", str(good_batch), "--peer-key", str(key_file), "--source", SOURCE],
    )

    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok ")
    assert "5 records" in result.output


def test_verify_reports_the_reason(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    key_file = peer_key_file(tmp_path, generate_signing_key())

    result = runner.invoke(
        airlock,
        ["transfer", "verify", str(good_batch), "--peer-key", str(key_file), "--source", SOURCE],
    )

    assert result.exit_code == 1
    assert "batch.signature" in result.output


def test_verify_an_encrypted_batch(
    write: WriteBatches, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    identity, recipient = generate_age_identity()
    identity_file = tmp_path / "age.txt"
    save_age_identity(identity, identity_file)
    [info] = write(questions(3), age_recipient=recipient)
    key_file = peer_key_file(tmp_path, signing_key)

    result = runner.invoke(
        airlock,
        [
            "transfer",
            "verify",
            str(info.path),
            "--peer-key",
            str(key_file),
            "--source",
            SOURCE,
            "--age-identity",
            str(identity_file),
            "--stream",
            info.stream,
        ],
    )

    assert result.exit_code == 0, result.output


def test_inspect_needs_no_keys(write: WriteBatches) -> None:
    [info] = write(questions(7))

    result = runner.invoke(airlock, ["transfer", "inspect", str(info.path)])

    assert result.exit_code == 0, result.output
    assert "Record-Count" in result.output
    assert "data/records.jsonl" in result.output
    assert "7 lines" in result.output


def test_inspect_an_unreadable_file(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    bad = corpus.symlink_member(good_batch, tmp_path / "bad", signing_key)

    result = runner.invoke(airlock, ["transfer", "inspect", str(bad)])

    assert result.exit_code == 1
    assert "batch.member" in result.output


def test_unpack_writes_a_bag(good_batch: Path, tmp_path: Path) -> None:
    result = runner.invoke(airlock, ["transfer", "unpack", str(good_batch), str(tmp_path / "bags")])

    assert result.exit_code == 0, result.output
    [bag] = (tmp_path / "bags").iterdir()
    bagit.Bag(str(bag)).validate()

    again = runner.invoke(airlock, ["transfer", "unpack", str(good_batch), str(tmp_path / "bags")])
    assert again.exit_code == 1
    assert "exists" in again.output


def test_unpack_refuses_an_unsafe_batch(
    good_batch: Path, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    bad = corpus.dotdot_member(good_batch, tmp_path / "bad", signing_key)

    result = runner.invoke(airlock, ["transfer", "unpack", str(bad), str(tmp_path / "bags")])

    assert result.exit_code == 1
    assert "batch.member" in result.output


def test_verify_with_a_mangled_key(good_batch: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "peer.pub"
    key_file.write_text("ssh-ed25519 AAAA\n")

    result = runner.invoke(
        airlock,
        ["transfer", "verify", str(good_batch), "--peer-key", str(key_file), "--source", SOURCE],
    )

    assert result.exit_code == 2
    assert "unusable key" in result.output
