"""An operator at a terminal: set both networks up, move users across, inspect, repair."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from request_network.cli import app as request_cli
from response_network.cli import app as response_cli
from shared.platform.cli import app as airlock


def test_users_cross_with_the_command_lines_alone(shell: CliRunner, tmp_path: Path) -> None:
    for cli in (response_cli, request_cli):
        assert shell.invoke(cli, ["init"]).exit_code == 0
    keys = tmp_path / "var" / "keys"
    assert sorted(p.name for p in keys.iterdir()) == [
        "request.key",
        "request.pub",
        "response.key",
        "response.pub",
    ]
    shown = shell.invoke(response_cli, ["keys", "show"])
    assert shown.stdout.startswith("airlock-ed25519 ")
    again = shell.invoke(response_cli, ["keys", "generate"])
    assert again.exit_code == 1
    assert "exists" in again.stdout

    exported = shell.invoke(response_cli, ["transfer", "run-once"])
    assert exported.exit_code == 0, exported.output
    assert "exported 2 batches" in exported.stdout  # users, and the seeded catalog
    imported = shell.invoke(request_cli, ["transfer", "run-once"])
    assert "imported 2 files" in imported.stdout, imported.output

    status = shell.invoke(request_cli, ["transfer", "status"])
    assert status.exit_code == 0
    assert "users" in status.stdout
    assert "catalog" in status.stdout
    assert "waiting in inbox: 0" in status.stdout

    clean = shell.invoke(response_cli, ["transfer", "audit"])
    assert "unacknowledged" in clean.stdout  # no heartbeat came back yet

    processed = (tmp_path / "var" / "transfer" / "request" / "processed").iterdir()
    [batch] = [path for path in processed if path.name.startswith("users-")]
    verified = shell.invoke(
        airlock,
        [
            "transfer",
            "verify",
            str(batch),
            "--peer-key",
            str(keys / "response.pub"),
            "--source",
            "response",
        ],
    )
    assert verified.exit_code == 0, verified.output

    missing = shell.invoke(request_cli, ["transfer", "requeue", "nothing.tar"])
    assert missing.exit_code == 1
