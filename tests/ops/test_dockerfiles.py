"""The two images, linted statically (no container engine here): stages, the lock file,
a user without privileges, the health check and the entrypoint."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = {"response": 8000, "request": 8001}


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kind, args in self.instructions if kind == keyword]


def parse(path: Path) -> list[Stage]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            base, _, name = args.partition(" AS ")
            stages.append(Stage(base.strip(), name.strip()))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    return any(
        fnmatch.fnmatch(path, pattern) or path.startswith(f"{pattern}/")
        for pattern in dockerignore()
    )


@pytest.fixture(params=list(NETWORKS))
def network(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_builder_stage_installs_exactly_the_lock_file(network: str) -> None:
    stages = parse(ROOT / f"{network}-network" / "Dockerfile")
    assert [stage.name for stage in stages] == ["builder", "runtime"]
    builder = stages[0]
    copied = " ".join(builder.all("COPY"))
    assert "uv.lock" in copied
    syncs = [run for run in builder.all("RUN") if "uv sync" in run]
    assert len(syncs) == 2
    for run in syncs:
        assert "--frozen" in run
        assert "--no-dev" in run
    assert "--no-editable" in syncs[-1]
    assert not any("uv lock" in run or "pip install -r" in run for run in builder.all("RUN"))


def test_the_runtime_is_slim_python_311_and_takes_only_the_environment(network: str) -> None:
    stages = parse(ROOT / f"{network}-network" / "Dockerfile")
    runtime = stages[-1]
    text = (ROOT / f"{network}-network" / "Dockerfile").read_text()
    image = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert image is not None
    assert image.group(1).startswith("python:3.11-slim")
    assert {stage.base for stage in stages} == {"${PYTHON_IMAGE}"}
    copies = runtime.all("COPY")
    assert any(c.startswith("--from=builder") for c in copies)
    # Sources and build tools stay in the builder; the runtime has no uv.
    assert not any("uv" in run.split() for run in runtime.all("RUN"))
    assert not any(c.split()[-2] in ("core", "shared", ".") for c in copies if "--from" not in c)


def test_the_process_runs_as_a_user_without_privileges(network: str) -> None:
    runtime = parse(ROOT / f"{network}-network" / "Dockerfile")[-1]
    users = runtime.all("USER")
    assert users
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    kinds = [kind for kind, _ in runtime.instructions]
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    creates = " ".join(runtime.all("RUN"))
    assert f"useradd --system --uid 10001 --gid {user}" in creates
    assert "/var/lib/airlock/transfer" in creates


def test_health_check_port_and_environment_match_the_network(network: str) -> None:
    runtime = parse(ROOT / f"{network}-network" / "Dockerfile")[-1]
    port = NETWORKS[network]
    (health,) = runtime.all("HEALTHCHECK")
    assert "/health" in health
    assert f"AIRLOCK_{network.upper()}_PORT', '{port}'" in health
    assert runtime.all("EXPOSE") == [str(port)]
    env = " ".join(runtime.all("ENV"))
    assert f"AIRLOCK_NETWORK={network}" in env
    assert f"AIRLOCK_{network.upper()}_ENVIRONMENT=production" in env
    assert f"AIRLOCK_{network.upper()}_HOST=0.0.0.0" in env
    assert runtime.all("ENTRYPOINT") == ['["airlock-entrypoint"]']
    assert runtime.all("CMD") == ['["api"]']
    assert any(
        "deploy/entrypoint.sh /usr/local/bin/airlock-entrypoint" in c for c in runtime.all("COPY")
    )


def test_everything_copied_exists_and_reaches_the_build_context(network: str) -> None:
    stages = parse(ROOT / f"{network}-network" / "Dockerfile")
    sources: list[str] = []
    for stage in stages:
        for copy in stage.all("COPY"):
            parts = [p for p in shlex.split(copy) if not p.startswith("--")]
            if "--from=" not in copy:
                sources += parts[:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source), f"{source} is excluded by .dockerignore"
    for secret in (".env", ".env.dev", "var", ".venv", ".git"):
        assert ignored(secret), secret
    assert not any(kind == "ADD" for stage in stages for kind, _ in stage.instructions)


def test_both_images_differ_only_in_their_network() -> None:
    def generic(network: str, port: int) -> str:
        text = (ROOT / f"{network}-network" / "Dockerfile").read_text()
        for name in NETWORKS:  # (both images hold both packages: the project is one wheel)
            text = text.replace(name, "NET").replace(name.upper(), "NET")
        return text.replace(str(port), "PORT")

    assert generic("response", 8000) == generic("request", 8001)


def test_the_entrypoint_script_is_posix_sh_and_executable() -> None:
    script = ROOT / "deploy" / "entrypoint.sh"
    assert script.stat().st_mode & 0o111
    assert script.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True)
    assert "exec " in script.read_text()
    validate = ROOT / "validate_setup.sh"
    assert validate.stat().st_mode & 0o111
    subprocess.run(["bash", "-n", str(validate)], check=True)
