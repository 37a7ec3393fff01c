"""`airlock dev` (what `make run` starts) serves both networks, passes validate_setup.sh, and
stops cleanly on Ctrl-C: one started system for all three (each start costs seconds of CPU)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from shared.transfer import generate_signing_key, public_key_text
from tests.ops.validating import NETWORKS, check_names, expected_names, failures, validate_setup
from tests.services import free_port
from tests.waiting import scaled, start_module, wait_for_http, wait_until


def sqlite_heartbeats(database: Path) -> int:
    if not database.exists():
        return 0
    with (
        contextlib.closing(sqlite3.connect(database)) as connection,
        contextlib.suppress(sqlite3.OperationalError),
    ):
        return int(connection.execute("SELECT count(*) FROM worker_heartbeat").fetchone()[0])
    return 0


def validates_then_a_replaced_peer_key_fails(root: Path, env: dict[str, str]) -> None:
    for network in NETWORKS:
        # The in-process jobs run the heartbeat as they start.
        wait_until(
            functools.partial(sqlite_heartbeats, root / "var" / f"{network}.db"),
            what=f"the {network} network's first heartbeat",
        )
    code, lines = validate_setup(root, env)
    assert failures(lines) == []
    assert code == 0
    assert check_names(lines) == expected_names(production=False)

    # Someone replaces the request network's public key with another one.
    keys = root / "var" / "keys"
    (keys / "request.pub").write_text(public_key_text(generate_signing_key().public_key()))
    code, lines = validate_setup(root, env)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  request keys: {keys / 'request.pub'} is not the signing key's public half"
        " - fix: `airlock-request keys generate --overwrite`, then give the response network"
        " the output of `airlock-request keys show`",
        f"FAIL  response peer key: {keys / 'request.pub'} does not match the request "
        "network's signing key - fix: write the output of `airlock-request keys show` (run "
        f"on the request network) to {keys / 'request.pub'}",
    ]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dev_serves_both_networks_passes_validation_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    response_port, request_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(
        AIRLOCK_RESPONSE_PORT=str(response_port),
        AIRLOCK_REQUEST_PORT=str(request_port),
        AIRLOCK_ADMIN_PASSWORD="the first admin's password",
    )
    dev = start_module(
        "airlock-dev",
        "shared.platform.cli",
        "dev",
        log_dir=tmp_path / "logs",
        env=env,
        cwd=tmp_path,
    )
    try:
        started = time.monotonic()
        for port in (response_port, request_port):
            wait_for_http(f"http://127.0.0.1:{port}/health/ready", watch=[dev], timeout=60)
        assert time.monotonic() - started < scaled(60)
        titles = {
            httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"]
            for port in (response_port, request_port)
        }
        assert titles == {"Airlock response network", "Airlock request network"}
        assert httpx.get(f"http://127.0.0.1:{response_port}/docs").status_code == 200
        # The in-process jobs carry the admin across the transfer directory on their own; its
        # hash crosses because `airlock dev` turns request network login on for it.
        # (Polls the request network's processed folder: logging in would trip the throttle.)
        processed = tmp_path / "var" / "transfer" / "request" / "processed"
        wait_until(
            lambda: processed.is_dir() and any(processed.iterdir()),
            what="a batch to reach the request network",
            watch=[dev],
            timeout=30,
        )
        login = httpx.post(
            f"http://127.0.0.1:{request_port}/auth/token",
            data={"username": "admin", "password": "the first admin's password"},
        )
        assert login.status_code == 200, login.text

        validates_then_a_replaced_peer_key_fails(tmp_path, env)
    finally:
        code = dev.stop(how=signal.SIGINT)
    output = dev.output()
    assert code == 0, output[-2000:]
    assert "Created admin" in output
    assert (tmp_path / "var" / "response.db").exists()
    assert (tmp_path / "var" / "request.db").exists()
