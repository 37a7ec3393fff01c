"""An operator at a terminal: set both networks up, move users across, inspect, repair."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import run


def test_users_cross_with_the_command_lines_alone(tmp_path: Path) -> None:
    for network in ("response_network", "request_network"):
        assert run([network, "init"], tmp_path).returncode == 0
    keys = tmp_path / "var" / "keys"
    assert sorted(p.name for p in keys.iterdir()) == [
        "request.key",
        "request.pub",
        "response.key",
        "response.pub",
    ]
    shown = run(["response_network", "keys", "show"], tmp_path)
    assert shown.stdout.startswith("airlock-ed25519 ")
    again = run(["response_network", "keys", "generate"], tmp_path)
    assert again.returncode == 1
    assert "exists" in again.stdout

    exported = run(["response_network", "transfer", "run-once"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "exported 2 batches" in exported.stdout  # users, and the seeded catalog
    imported = run(["request_network", "transfer", "run-once"], tmp_path)
    assert "imported 2 files" in imported.stdout, imported.stderr

    status = run(["request_network", "transfer", "status"], tmp_path)
    assert status.returncode == 0
    assert "users" in status.stdout
    assert "catalog" in status.stdout
    assert "waiting in inbox: 0" in status.stdout

    clean = run(["response_network", "transfer", "audit"], tmp_path)
    assert "unacknowledged" in clean.stdout  # no heartbeat came back yet

    processed = (tmp_path / "var" / "transfer" / "request" / "processed").iterdir()
    [batch] = [path for path in processed if path.name.startswith("users-")]
    verified = run(
        [
            "shared.cli",
            "transfer",
            "verify",
            str(batch),
            "--peer-key",
            str(keys / "response.pub"),
            "--source",
            "response",
        ],
        tmp_path,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    missing = run(["request_network", "transfer", "requeue", "nothing.tar"], tmp_path)
    assert missing.returncode == 1
