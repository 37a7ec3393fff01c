"""Audit the locked dependencies for known vulnerabilities (run by `make lint`).

    uv export --frozen --format requirements-txt --no-hashes --no-emit-project \\
        | .venv/bin/python scripts/audit_dependencies.py

Reads the pins on standard input (the lock, not what happens to be installed) and asks PyPI:

- where PyPI answers per version (`/pypi/<name>/<version>/json`), pip-audit audits every pin
  with its PyPI service (OSV is not reachable from our machines);
- where the index serves only the project pages (`/pypi/<name>/json`, whose advisories are
  those of the latest release), a pin at the latest release is audited from that page, and a
  pin behind it is listed as not audited (its advisories are not served).

Fails (exit 1) on a known, not withdrawn vulnerability that `IGNORED` does not name. PyPI
unreachable: a warning, so that a network blip never turns the build red (`make test` also
works offline); `AIRLOCK_AUDIT_REQUIRED=1` makes it a failure (a release pipeline).
Project pages are cached for a few hours under `var/pip-audit/` (CI starts without one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "pip-audit"
CACHE_SECONDS = 6 * 3600
INDEX = "https://pypi.org/pypi"
TIMEOUT = 10

IGNORED: dict[str, str] = {}
"""Advisory id -> why it does not apply to us (passed to pip-audit as `--ignore-vuln`)."""


class Unreachable(Exception):
    pass


def locked_pins(text: str) -> list[tuple[str, str]]:
    """(name, version) of each `name==version` line of a requirements export."""
    pins = []
    for line in text.splitlines():
        requirement = line.split(";", 1)[0].strip()
        if "==" in requirement and not requirement.startswith("#"):
            name, version = requirement.split("==", 1)
            pins.append((name.strip(), version.strip()))
    return pins


def fetch(url: str) -> dict[str, Any] | None:
    """The JSON at `url`, None for a 404; `Unreachable` when PyPI cannot be reached."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310 (https only)
            result: dict[str, Any] = json.load(answer)
            return result
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise Unreachable(f"{url}: HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise Unreachable(f"{url}: {error}") from error


def project_page(name: str) -> dict[str, Any] | None:
    """What the audit needs of `/pypi/<name>/json` (latest version, its advisories), cached."""
    cached = CACHE / f"{name.lower()}.json"
    if cached.exists() and time.time() - cached.stat().st_mtime < CACHE_SECONDS:
        kept: dict[str, Any] = json.loads(cached.read_text())
        return kept
    page = fetch(f"{INDEX}/{name}/json")
    if page is None:
        return None
    wanted = {"latest": page["info"]["version"], "vulnerabilities": page.get("vulnerabilities")}
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(wanted))
    return wanted


def run_pip_audit(requirements: str) -> int:
    """pip-audit on the pins, with PyPI's per-version advisories."""
    CACHE.mkdir(parents=True, exist_ok=True)
    listed = CACHE / "requirements.txt"
    listed.write_text(requirements)
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        *("-r", str(listed), "--disable-pip", "--no-deps", "--strict"),
        *("--vulnerability-service", "pypi", "--cache-dir", str(CACHE / "http")),
        *("--progress-spinner", "off"),
    ]
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    return subprocess.run(command, check=False).returncode


def audit_from_project_pages(pins: list[tuple[str, str]]) -> int:
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda pin: project_page(pin[0]), pins))
    found, unaudited = [], []
    for (name, version), page in zip(pins, pages, strict=True):
        if page is None or page["latest"] != version:
            latest = page["latest"] if page else "not on PyPI"
            unaudited.append(f"{name} {version} (latest {latest})")
            continue
        for advisory in page["vulnerabilities"] or []:
            if advisory.get("withdrawn") or advisory["id"] in IGNORED:
                continue
            fixed = ", ".join(advisory.get("fixed_in") or []) or "no fix yet"
            found.append(f"{name} {version}: {advisory['id']} (fixed in: {fixed})")
    audited = len(pins) - len(unaudited)
    print(f"pip-audit: {audited} of {len(pins)} locked packages audited against PyPI's advisories")
    if unaudited:
        print(
            "  not audited (behind PyPI's latest release; this index serves no advisories per "
            "version): " + ", ".join(unaudited)
        )
    for line in found:
        print(f"  VULNERABLE {line}")
    return 1 if found else 0


def main() -> int:
    requirements = sys.stdin.read()
    pins = locked_pins(requirements)
    if not pins:
        print("pip-audit: no pins on standard input", file=sys.stderr)
        return 2
    try:
        name, version = pins[0]
        per_version = fetch(f"{INDEX}/{name}/{version}/json") is not None
        return run_pip_audit(requirements) if per_version else audit_from_project_pages(pins)
    except Unreachable as error:
        if os.environ.get("AIRLOCK_AUDIT_REQUIRED") == "1":
            print(f"pip-audit: PyPI unreachable: {error}", file=sys.stderr)
            return 1
        print(f"pip-audit: skipped, PyPI unreachable ({error})", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
