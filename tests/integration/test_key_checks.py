"""A key setting that cannot be used stops the process at start, with one line naming it.

Before, a bad age identity started fine and then quarantined every encrypted batch; a bad
signing or peer key failed each export or import instead of the start.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from typer.testing import CliRunner

from core.process import load_settings
from request_network.cli import app as request_cli
from request_network.settings import RequestSettings
from shared.exchange.keys import check_keys, load_keys
from shared.transfer import (
    generate_age_identity,
    generate_signing_key,
    public_key_text,
    save_private_key,
)
from tests.terminal import logging_restored

AGE_IDENTITY, AGE_RECIPIENT = generate_age_identity()
EC_KEY = generate_private_key(SECP256R1()).private_bytes(
    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
)
AGE_KEYGEN_FILE = (
    f"# created: 2026-12-04T17:00:00Z\n# public key: {AGE_RECIPIENT}\n{AGE_IDENTITY}\n"
)


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> None:
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRLOCK_REQUEST_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(f"AIRLOCK_REQUEST_{name}", value)


def refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], **env: str
) -> str:
    """Start as `run` and `worker` do (settings, then keys); the one line the operator reads."""
    configure(monkeypatch, tmp_path, **env)
    with pytest.raises(typer.Exit) as stopped:
        check_keys(load_settings(RequestSettings))
    assert stopped.value.exit_code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def files(tmp_path: Path) -> dict[str, Path]:
    keys = tmp_path / "keys"
    keys.mkdir()
    made = {
        "age_keygen": keys / "age-keygen.txt",
        "comments_only": keys / "comments.txt",
        "garbage": keys / "garbage.bin",
        "ed25519_pem": keys / "signing.key",
        "ec_pem": keys / "ec.key",
        "recipient": keys / "recipient.txt",
        "peer_pub": keys / "peer.pub",
        "directory": keys,
    }
    made["age_keygen"].write_text(AGE_KEYGEN_FILE)
    made["comments_only"].write_text(f"# public key: {AGE_RECIPIENT}\n\n")
    made["garbage"].write_bytes(b"\x00\xff\xfe\x89PNG garbage")
    save_private_key(generate_signing_key(), made["ed25519_pem"])
    made["ec_pem"].write_bytes(EC_KEY)
    made["recipient"].write_text(AGE_RECIPIENT + "\n")
    made["peer_pub"].write_text(public_key_text(generate_signing_key().public_key()) + "\n")
    return made


@pytest.mark.parametrize(
    ("setting", "file", "says"),
    [
        ("AGE_IDENTITY_FILE", "missing", "does not exist"),
        ("AGE_IDENTITY_FILE", "directory", "cannot be read (Is a directory)"),
        ("AGE_IDENTITY_FILE", "garbage", "not a text file"),
        ("AGE_IDENTITY_FILE", "comments_only", "no AGE-SECRET-KEY-1 line"),
        ("AGE_IDENTITY_FILE", "ed25519_pem", "line 1 is not an age X25519 identity"),
        ("AGE_IDENTITY_FILE", "recipient", "line 1 is not an age X25519 identity"),
        ("SIGNING_KEY_FILE", "missing", "does not exist"),
        ("SIGNING_KEY_FILE", "garbage", "not an unencrypted Ed25519 private key"),
        ("SIGNING_KEY_FILE", "ec_pem", "not an unencrypted Ed25519 private key"),
        ("SIGNING_KEY_FILE", "age_keygen", "not an unencrypted Ed25519 private key"),
        ("PEER_PUBLIC_KEY_FILE", "missing", "does not exist"),
        ("PEER_PUBLIC_KEY_FILE", "garbage", "not a text file"),
        ("PEER_PUBLIC_KEY_FILE", "recipient", "a public key reads 'airlock-ed25519 <base64>'"),
        ("PEER_PUBLIC_KEY_FILE", "ed25519_pem", "a public key reads"),
    ],
)
def test_an_unusable_key_file_stops_the_start_naming_its_setting(
    setting: str,
    file: str,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = files(tmp_path).get(file, tmp_path / "keys" / "not-there")

    line = refused(monkeypatch, tmp_path, capsys, **{setting: str(path)})

    assert line.startswith(f"error: setting AIRLOCK_REQUEST_{setting} is invalid: {path}")
    assert says in line
    assert AGE_IDENTITY not in line


@pytest.mark.parametrize(
    "value",
    [AGE_IDENTITY, "age1notarecipient", public_key_text(generate_signing_key().public_key())],
    # Fixed ids: a generated key in a test id differs between pytest-xdist workers.
    ids=["age-identity", "not-a-recipient", "ed25519-public-key"],
)
def test_a_peer_age_recipient_of_the_wrong_kind_stops_the_start(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = refused(monkeypatch, tmp_path, capsys, PEER_AGE_RECIPIENT=value)

    assert line.startswith("error: setting AIRLOCK_REQUEST_PEER_AGE_RECIPIENT is invalid: ")
    assert "not an age X25519 recipient" in line
    assert AGE_IDENTITY not in line


def test_usable_keys_and_keys_not_set_up_yet_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = files(tmp_path)
    configure(monkeypatch, tmp_path)  # default key paths, nothing there yet: the network waits
    check_keys(load_settings(RequestSettings))

    configure(
        monkeypatch,
        tmp_path,
        AGE_IDENTITY_FILE=str(made["age_keygen"]),
        SIGNING_KEY_FILE=str(made["ed25519_pem"]),
        PEER_PUBLIC_KEY_FILE=str(made["peer_pub"]),
        PEER_AGE_RECIPIENT=AGE_RECIPIENT,
    )
    check_keys(load_settings(RequestSettings))

    assert capsys.readouterr().err == ""
    keys = load_keys(load_settings(RequestSettings))
    assert keys.age_identity == AGE_IDENTITY
    assert keys.signing_key is not None
    assert keys.peer_verify_key is not None


def test_request_network_run_exits_at_once_on_a_bad_age_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(AGE_KEYGEN_FILE.replace(AGE_IDENTITY, "AGE-SECRET-KEY-1NOTAKEY"))
    configure(
        monkeypatch,
        tmp_path,
        AGE_IDENTITY_FILE=str(identity_file),
        HOST="256.0.0.1",  # were it to serve, it would fail, not hang
    )

    with logging_restored():
        finished = CliRunner().invoke(request_cli, ["run"])

    assert finished.exit_code == 2
    assert finished.stderr.splitlines() == [
        f"error: setting AIRLOCK_REQUEST_AGE_IDENTITY_FILE is invalid: {identity_file}: "
        "line 3 is not an age X25519 identity (AGE-SECRET-KEY-1...)"
    ]
    assert not (tmp_path / "var" / "request.db").exists()  # stopped before migrating
