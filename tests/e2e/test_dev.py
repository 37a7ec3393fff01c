"""`airlock dev` (what `make run` starts) serves both networks and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.services import free_port
from tests.waiting import scaled, start_module, wait_for_http, wait_until


@pytest.mark.slow
def test_dev_serves_both_networks_and_stops_on_ctrl_c(tmp_path: Path) -> None:
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
    finally:
        code = dev.stop(how=signal.SIGINT)
    output = dev.output()
    assert code == 0, output[-2000:]
    assert "Created admin" in output
    assert (tmp_path / "var" / "response.db").exists()
    assert (tmp_path / "var" / "request.db").exists()
