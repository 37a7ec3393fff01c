"""The command lines as an operator runs them: one-line errors, idempotent set-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_wrong_setting_exits_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run(["response_network", "migrate"], tmp_path, AIRLOCK_RESPONSE_PORT="eighty")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "AIRLOCK_RESPONSE_PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_wrong_database_url_names_the_setting(tmp_path: Path) -> None:
    result = run(["request_network", "init"], tmp_path, AIRLOCK_REQUEST_DATABASE_URL="mysql://x")
    assert result.returncode == 2
    assert "AIRLOCK_REQUEST_DATABASE_URL" in result.stderr


def test_init_then_seed_changes_nothing(tmp_path: Path) -> None:
    first = run(["response_network", "init"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "with password" in first.stderr
    assert (tmp_path / "var" / "response.db").exists()
    assert (tmp_path / "var" / "transfer").is_dir()
    again = run(["response_network", "seed"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already exists; nothing changed" in again.stderr
    assert "with password" not in again.stderr


def test_given_admin_password_is_not_printed(tmp_path: Path) -> None:
    result = run(["response_network", "init"], tmp_path, AIRLOCK_ADMIN_PASSWORD="a given password!")
    assert result.returncode == 0, result.stderr
    assert "a given password!" not in result.stderr + result.stdout
    assert "with the given password" in result.stderr
