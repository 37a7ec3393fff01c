"""Run validate_setup.sh as an operator does, and read its lines."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from shared.platform.validate import CHECKS
from tests.ops.processes import ROOT
from tests.waiting import scaled

SCRIPT = ROOT / "validate_setup.sh"
NETWORKS = ("response", "request")


def validate_setup(cwd: Path, env: Mapping[str, str], *args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [str(SCRIPT), "--mode", "local", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=scaled(300),
        check=False,
    )
    return done.returncode, done.stdout.splitlines()


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("ok")]


def check_names(lines: list[str]) -> list[str]:
    """`response api`, `request keys`, ...: each line's network and check, in order."""
    return [line.split(":")[0].split(maxsplit=1)[1] for line in lines]


def expected_names(*, production: bool) -> list[str]:
    """Every check of both networks then the peer keys; production has Redis and workers, and
    names the scheduler `beat` where the embedded jobs are `jobs`."""
    if production:
        checks = ["beat" if check == "jobs" else check for check in CHECKS]
    else:
        checks = [check for check in CHECKS if check not in ("redis", "workers")]
    return [
        *(f"{network} {check}" for network in NETWORKS for check in checks),
        "response peer key",
        "request peer key",
    ]
