"""Generate the Python client `clients/python` from the request network's committed
description (`make client`).

openapi-python-client runs from its own pinned environment (`clients/generator`, installed
by `make install` into `.tools/client-generator`), not from `.venv`: it requires typer < 0.28
and the project runs a newer typer. Its ruff post-hooks run the version pinned there, so the
output depends only on the spec, `clients/openapi-python-client.yaml` and that lock.
`tests/clients/test_generated.py` regenerates into a temporary directory and fails when the
committed client differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "openapi" / "request-network.json"
CONFIG = ROOT / "clients" / "openapi-python-client.yaml"
CLIENT = ROOT / "clients" / "python"
GENERATOR = ROOT / ".tools" / "client-generator" / "bin"


def generate(output: Path) -> None:
    """Write the client for the committed spec into `output` (replaced whole)."""
    executable = GENERATOR / "openapi-python-client"
    if not executable.exists():
        raise SystemExit(f"{executable} is missing: run `make install`")
    env = {**os.environ, "PATH": f"{GENERATOR}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [
            *(str(executable), "generate", "--meta", "uv", "--overwrite"),
            *("--path", str(SPEC), "--config", str(CONFIG), "--output-path", str(output)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # The generator reports a schema it had to drop on stdout and still exits 0: a client
    # without some models is a broken client, so any warning fails the run.
    if done.returncode != 0 or "Warning" in done.stdout or "Unable to" in done.stdout:
        raise SystemExit(f"openapi-python-client failed:\n{done.stdout}{done.stderr}")


def main() -> None:
    generate(CLIENT)
    sys.stderr.write(f"wrote {CLIENT.relative_to(ROOT)} from {SPEC.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
