"""`make env`: the development env file with every secret and both key pairs."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.transfer import public_key_text
from tests.ops.processes import ROOT, make_env, read_env_file

SCRIPT = ROOT / "deploy" / "make_env.py"


def test_make_env_writes_fresh_secrets_and_matching_key_pairs(tmp_path: Path) -> None:
    path = tmp_path / ".env.dev"
    values = make_env(path)

    assert path.stat().st_mode & 0o777 == 0o600
    for network in ("RESPONSE", "REQUEST"):
        for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "SECRET_KEY"):
            assert len(values[f"{network}_{name}"]) >= 32
        key = serialization.load_der_private_key(
            base64.b64decode(values[f"{network}_SIGNING_KEY"]), password=None
        )
        assert isinstance(key, Ed25519PrivateKey)
        assert public_key_text(key.public_key()) == values[f"{network}_PUBLIC_KEY"]
    assert values["RESPONSE_PUBLIC_KEY"] != values["REQUEST_PUBLIC_KEY"]
    secrets = [v for k, v in values.items() if not k.endswith("_PUBLIC_KEY")]
    assert len(set(secrets)) == len(secrets)
    # Another run writes other secrets.
    assert make_env(tmp_path / "other")["RESPONSE_SECRET_KEY"] != values["RESPONSE_SECRET_KEY"]


def test_an_existing_env_file_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / ".env.dev"
    first = make_env(path)
    kept = subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=True
    )
    assert "exists; keeping it" in kept.stderr
    assert read_env_file(path) == first

    subprocess.run([sys.executable, str(SCRIPT), str(path), "--force"], check=True)
    assert read_env_file(path)["RESPONSE_SECRET_KEY"] != first["RESPONSE_SECRET_KEY"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_env_file_is_never_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", ".env.dev"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
    # The Makefile target writes exactly that file.
    dry_run = subprocess.run(
        ["make", "-n", "env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "deploy/make_env.py .env.dev" in dry_run.stdout
