"""Start Airlock's command lines and the container entrypoint as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests import waiting
from tests.waiting import Started

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without any AIRLOCK_* setting, the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env.update(extra)
    return env


def settings_env(network: str, settings: Mapping[str, object]) -> dict[str, str]:
    prefix = f"AIRLOCK_{network.upper()}_"
    return {f"{prefix}{name.upper()}": str(value) for name, value in settings.items()}


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value.strip("'")
    return values


def make_env(path: Path) -> dict[str, str]:
    subprocess.run([sys.executable, str(ROOT / "deploy" / "make_env.py"), str(path)], check=True)
    return read_env_file(path)


def key_env(network: str, generated: Mapping[str, str]) -> dict[str, str]:
    """What docker-compose.dev.yml hands a network's api and worker."""
    peer = "request" if network == "response" else "response"
    return {
        "AIRLOCK_SIGNING_KEY": generated[f"{network.upper()}_SIGNING_KEY"],
        "AIRLOCK_PUBLIC_KEY": generated[f"{network.upper()}_PUBLIC_KEY"],
        "AIRLOCK_PEER_PUBLIC_KEY": generated[f"{peer.upper()}_PUBLIC_KEY"],
    }


def prepare(
    network: str, env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"{network}_network", "prepare", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=waiting.scaled(timeout),
        check=False,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def wait_for_http(url: str, started: Started, timeout: float = 90) -> None:
    """Until `url` answers 200; fails early, with its last lines, if the process exits."""
    waiting.wait_for_http(url, watch=[started], timeout=timeout)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM a process started with Popen, SIGKILL if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(waiting.scaled(timeout))
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(waiting.scaled(timeout))
