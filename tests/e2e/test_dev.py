"""`airlock dev` (what `make run` starts) serves both networks and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services import free_port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "airlock dev exited early"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def wait_for_import(directory: Path, process: subprocess.Popen[bytes]) -> None:
    """Polls the request network's processed folder (logging in would trip the throttle)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "airlock dev exited early"
        if directory.is_dir() and any(directory.iterdir()):
            return
        time.sleep(0.2)
    raise TimeoutError("no batch reached the request network")


def test_dev_serves_both_networks_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    response_port, request_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(
        AIRLOCK_RESPONSE_PORT=str(response_port),
        AIRLOCK_REQUEST_PORT=str(request_port),
        AIRLOCK_ADMIN_PASSWORD="the first admin's password",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        started = time.monotonic()
        for port in (response_port, request_port):
            wait_ready(f"http://127.0.0.1:{port}/health/ready", process)
        assert time.monotonic() - started < 60
        titles = {
            httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"]
            for port in (response_port, request_port)
        }
        assert titles == {"Airlock response network", "Airlock request network"}
        assert httpx.get(f"http://127.0.0.1:{response_port}/docs").status_code == 200
        # The in-process jobs carry the admin across the transfer directory on their own; its
        # hash crosses because `airlock dev` turns request network login on for it.
        wait_for_import(tmp_path / "var" / "transfer" / "request" / "processed", process)
        login = httpx.post(
            f"http://127.0.0.1:{request_port}/auth/token",
            data={"username": "admin", "password": "the first admin's password"},
        )
        assert login.status_code == 200, login.text
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()[-2000:]
    assert b"Created admin" in output
    assert (tmp_path / "var" / "response.db").exists()
    assert (tmp_path / "var" / "request.db").exists()
