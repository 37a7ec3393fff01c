"""The command lines as an operator runs them: one-line errors, idempotent set-up."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from request_network.cli import app as request_cli
from response_network.cli import app as response_cli


def test_a_wrong_setting_exits_with_one_line_naming_it(shell: CliRunner) -> None:
    result = shell.invoke(response_cli, ["migrate"], env={"AIRLOCK_RESPONSE_PORT": "eighty"})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "AIRLOCK_RESPONSE_PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_wrong_database_url_names_the_setting(shell: CliRunner) -> None:
    result = shell.invoke(request_cli, ["init"], env={"AIRLOCK_REQUEST_DATABASE_URL": "mysql://x"})
    assert result.exit_code == 2
    assert "AIRLOCK_REQUEST_DATABASE_URL" in result.stderr


def test_init_then_seed_changes_nothing(shell: CliRunner, tmp_path: Path) -> None:
    first = shell.invoke(response_cli, ["init"])
    assert first.exit_code == 0, first.output
    assert "with password" in first.stderr
    assert (tmp_path / "var" / "response.db").exists()
    assert (tmp_path / "var" / "transfer").is_dir()
    again = shell.invoke(response_cli, ["seed"])
    assert again.exit_code == 0, again.output
    assert "already exists; nothing changed" in again.stderr
    assert "with password" not in again.stderr


def test_given_admin_password_is_not_printed(shell: CliRunner) -> None:
    result = shell.invoke(
        response_cli, ["init"], env={"AIRLOCK_ADMIN_PASSWORD": "a given password!"}
    )
    assert result.exit_code == 0, result.output
    assert "a given password!" not in result.output
    assert "with the given password" in result.stderr
