"""Signing keys and age identities: generated, saved, pasted and loaded back."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from shared.transfer import (
    BatchRejected,
    age_recipient_of,
    generate_age_identity,
    generate_signing_key,
    key_fingerprint,
    load_age_identity,
    load_private_key,
    load_public_key,
    open_batch,
    parse_public_key,
    public_key_text,
    save_age_identity,
    save_private_key,
    save_public_key,
    verify_batch,
)
from shared.transfer.signing import sign, verify
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE, Question, questions


def test_private_key_round_trip_is_owner_only(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = tmp_path / "keys" / "response.key"

    save_private_key(key, path)
    save_private_key(key, path)  # replacing an existing key is allowed

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert load_private_key(path).public_key() == key.public_key()
    assert [p.name for p in path.parent.iterdir()] == ["response.key"]


def test_a_non_ed25519_private_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )

    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(path)


def test_public_key_is_one_pasteable_line(tmp_path: Path) -> None:
    key = generate_signing_key().public_key()
    path = tmp_path / "peer.pub"

    save_public_key(key, path, comment="response network")

    text = path.read_text()
    assert text.count("\n") == 1
    assert text.startswith("airlock-ed25519 ")
    assert text.rstrip().endswith(" response network")
    assert load_public_key(path) == key
    assert parse_public_key("  " + public_key_text(key) + "\n") == key
    assert key_fingerprint(key).startswith("SHA256:")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "a public key reads"),
        ("ssh-ed25519 AAAA", "a public key reads"),
        ("airlock-ed25519 not*base64", "not valid base64"),
        ("airlock-ed25519 AAAA", "32 bytes"),
    ],
)
def test_a_mangled_public_key_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_public_key(text)


def test_signature_verifies_only_the_signed_bytes() -> None:
    key = generate_signing_key()
    signature = sign(key, b"tag manifest")

    verify(key.public_key(), b"tag manifest", signature)
    for message, signed in [
        (b"tag manifest!", signature),
        (b"tag manifest", b"AAAA\n"),
        (b"tag manifest", sign(generate_signing_key(), b"tag manifest")),
    ]:
        with pytest.raises(BatchRejected) as rejected:
            verify(key.public_key(), message, signed)
        assert rejected.value.code == "batch.signature"


def test_age_identity_round_trip(tmp_path: Path) -> None:
    identity, recipient = generate_age_identity()
    path = tmp_path / "age" / "identity.txt"

    save_age_identity(identity, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_age_identity(path) == identity
    assert age_recipient_of(identity) == recipient
    assert recipient.startswith("age1")


def test_a_bad_age_identity_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="AGE-SECRET-KEY"):
        save_age_identity("AGE-SECRET-KEY-1NOTAKEY", tmp_path / "identity.txt")


def test_rejection_reads_well_and_survives_pickling() -> None:
    import pickle

    rejected = BatchRejected("batch.count", "3 records, Record-Count says 4")

    copy = pickle.loads(pickle.dumps(rejected))  # noqa: S301 (our own object)

    assert str(rejected) == "batch.count: 3 records, Record-Count says 4"
    assert (copy.code, copy.detail, copy.check) == ("batch.count", rejected.detail, "count")


# Identity files as the `age` tools write them (Debian package `age`, `make services`).


def _age_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: run `make services` (it installs Debian's `age`)")
    return found


def age_keygen(path: Path) -> str:
    """A new identity file made by `age-keygen`; returns its recipient."""
    subprocess.run([_age_tool("age-keygen"), "-o", str(path)], check=True, capture_output=True)
    found = subprocess.run(
        [_age_tool("age-keygen"), "-y", str(path)], check=True, capture_output=True, text=True
    )
    return found.stdout.strip()


def test_an_age_keygen_file_decrypts_what_airlock_encrypted_and_age_reads_it_too(
    write: WriteBatches, verify_key: Ed25519PublicKey, tmp_path: Path
) -> None:
    identity_file = tmp_path / "identity.txt"
    recipient = age_keygen(identity_file)
    assert identity_file.read_text().startswith("# created: ")

    [info] = write(questions(7), age_recipient=recipient)

    with open_batch(
        info.path,
        verify_key=verify_key,
        expected_source=SOURCE,
        age_identity=load_age_identity(identity_file),
    ) as reader:
        assert len(list(reader.records(Question))) == 7
    plain = tmp_path / "plain.tar"
    subprocess.run(
        [_age_tool("age"), "-d", "-i", str(identity_file), "-o", str(plain), str(info.path)],
        check=True,
        capture_output=True,
    )
    named = plain.rename(info.path.with_name(info.path.name.removesuffix(".age")))
    assert verify_batch(named, verify_key=verify_key, expected_source=SOURCE).record_count == 7


def test_airlock_decrypts_what_the_age_tool_encrypted_to_its_identity_file(
    write: WriteBatches, verify_key: Ed25519PublicKey, tmp_path: Path
) -> None:
    identity_file = tmp_path / "identity.txt"
    recipient = age_keygen(identity_file)
    [info] = write(questions(4))
    encrypted = info.path.with_name(info.path.name + ".age")

    subprocess.run(
        [_age_tool("age"), "-r", recipient, "-o", str(encrypted), str(info.path)],
        check=True,
        capture_output=True,
    )

    identity = load_age_identity(identity_file)
    checked = verify_batch(
        encrypted, verify_key=verify_key, expected_source=SOURCE, age_identity=identity
    )
    assert checked.record_count == 4


def test_a_file_with_two_identities_decrypts_for_either(
    write: WriteBatches, verify_key: Ed25519PublicKey, tmp_path: Path
) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    recipients = [age_keygen(old), age_keygen(new)]
    both = tmp_path / "identities.txt"
    both.write_text(old.read_text() + "\n# rotated in:\n" + new.read_text())

    identity = load_age_identity(both)

    assert identity.count("AGE-SECRET-KEY-1") == 2
    for number, recipient in enumerate(recipients):
        [info] = write(questions(2), age_recipient=recipient, first_sequence=number + 1)
        checked = verify_batch(
            info.path, verify_key=verify_key, expected_source=SOURCE, age_identity=identity
        )
        assert checked.record_count == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"# created: 2026-01-01\n# public key: age1...\n\n", "no AGE-SECRET-KEY-1 line"),
        (b"# comment\nAGE-SECRET-KEY-1NOTAKEY\n", "line 2 is not an age X25519 identity"),
        (b"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n", "line 1"),
        (b"\x00\xff\xfe garbage \x89PNG", "not a text file"),
    ],
)
def test_a_bad_identity_file_says_what_is_wrong(content: bytes, says: str, tmp_path: Path) -> None:
    path = tmp_path / "identity.txt"
    path.write_bytes(content)

    with pytest.raises(ValueError, match=says):
        load_age_identity(path)
