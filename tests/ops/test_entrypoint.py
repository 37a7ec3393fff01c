"""`airlock-<network> prepare` and deploy/entrypoint.sh, run outside a container against the
test PostgreSQL and Redis: what a container does when it starts."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from core.migrations import current_revision, head_revision
from response_network.bootstrap import MIGRATIONS as RESPONSE_MIGRATIONS
from shared.transfer import load_private_key, load_public_key, public_key_text
from tests.conftest import Databases
from tests.ops.processes import (
    ENTRYPOINT,
    clean_env,
    error_lines,
    key_env,
    make_env,
    prepare,
    settings_env,
    wait_for_http,
)
from tests.services import PostgresServer, RedisServer, free_port
from tests.waiting import scaled, start, until

ADMIN_PASSWORD = "a long enough admin password"


async def database_url(databases: Databases, backend: str) -> str:
    return databases.empty_sqlite() if backend == "embedded" else await databases.empty_postgres()


async def admins(url: str) -> int:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.split("///", 1)[1]) as connection:
            row = connection.execute("SELECT count(*) FROM user WHERE role = 'admin'").fetchone()
        return int(row[0])
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM \"user\" WHERE role = 'admin'"))
    finally:
        await connection.close()


async def test_replicas_starting_together_migrate_and_seed_once(
    backend: str, databases: Databases, redis_server: RedisServer, tmp_path: Path
) -> None:
    url = await database_url(databases, backend)
    settings = {"database_url": url, "var_dir": tmp_path / "var"}
    if backend == "production":
        settings["redis_url"] = redis_server.url()
    env = clean_env(AIRLOCK_ADMIN_PASSWORD=ADMIN_PASSWORD, **settings_env("response", settings))
    command = [sys.executable, "-m", "response_network", "prepare", "--wait-seconds", "30"]
    replicas = [
        subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [replica.communicate(timeout=scaled(120))[1] for replica in replicas]

    assert [replica.returncode for replica in replicas] == [0, 0], outputs
    head = head_revision(RESPONSE_MIGRATIONS)
    said = sorted(
        "migrated" if f"migrated from empty to {head}" in output else "skipped"
        for output in outputs
        if f"response database migrated from empty to {head}" in output
        or f"response database already at {head}" in output
    )
    assert said == ["migrated", "skipped"], outputs
    assert await current_revision(url) == head
    assert await admins(url) == 1


async def test_an_unreachable_database_is_waited_for_then_named_in_one_line(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = clean_env(
        **settings_env(
            "request",
            {
                "database_url": f"postgresql+asyncpg://airlock:hunter2@127.0.0.1:{port}/airlock",
                "var_dir": tmp_path,
            },
        )
    )
    started = time.monotonic()
    done = prepare("request", env, "--wait-seconds", "2")
    elapsed = time.monotonic() - started

    assert done.returncode == 1
    (line,) = error_lines(done.stderr)
    assert line.startswith(f"error: database 127.0.0.1:{port}/airlock not reachable after 2s (")
    assert "hunter2" not in done.stderr + done.stdout
    assert 2 <= elapsed < 30


async def test_an_unreachable_redis_is_named_in_one_line(
    databases: Databases, tmp_path: Path
) -> None:
    port = free_port()
    settings = {
        "database_url": await databases.empty_postgres(),
        "redis_url": f"redis://:hunter2@127.0.0.1:{port}/0",
        "var_dir": tmp_path,
    }
    done = prepare("request", clean_env(**settings_env("request", settings)), "--wait-seconds", "1")

    assert done.returncode == 1
    (line,) = error_lines(done.stderr)
    assert line.startswith(f"error: Redis 127.0.0.1:{port}/0 not reachable after 1s (Connection")
    assert "hunter2" not in done.stderr


@pytest.mark.parametrize(
    ("settings", "extra", "args", "message"),
    [
        (
            {"database_url": "mysql://db/airlock"},
            {},
            [],
            "setting AIRLOCK_RESPONSE_DATABASE_URL is invalid",
        ),
        (
            {"environment": "production", "database_url": "postgresql+asyncpg://db/a"},
            {"AIRLOCK_RESPONSE_REDIS_URL": "redis://redis:6379/0"},
            [],
            "AIRLOCK_RESPONSE_SECRET_KEY is empty",
        ),
        (
            {"environment": "production"},
            {},
            [],
            "AIRLOCK_RESPONSE_DATABASE_URL must be a postgresql+asyncpg:// URL in production",
        ),
        (
            {"environment": "production", "database_url": "postgresql+asyncpg://db/a"},
            {},
            [],
            "AIRLOCK_RESPONSE_REDIS_URL is not set: production runs its jobs on Celery",
        ),
        ({}, {}, ["--role", "worker"], "AIRLOCK_RESPONSE_REDIS_URL is not set: a worker needs"),
        ({}, {}, ["--role", "cook"], "Invalid value for '--role'"),
        (
            {},
            {"AIRLOCK_SIGNING_KEY": "bm90IGEga2V5"},
            [],
            "AIRLOCK_SIGNING_KEY is not an Ed25519 private key",
        ),
        (
            {},
            {"AIRLOCK_PEER_PUBLIC_KEY": "ssh-ed25519 AAAA"},
            [],
            "AIRLOCK_PEER_PUBLIC_KEY is not a public key: a public key reads",
        ),
    ],
    ids=[
        "bad-url",
        "no-secret",
        "sqlite-in-production",
        "no-redis-in-production",
        "worker-without-redis",
        "unknown-role",
        "bad-signing-key",
        "bad-peer-key",
    ],
)
def test_a_wrong_setting_exits_with_one_line(
    settings: dict[str, str], extra: dict[str, str], args: list[str], message: str, tmp_path: Path
) -> None:
    env = clean_env(**settings_env("response", {"var_dir": tmp_path, **settings}), **extra)
    done = prepare("response", env, "--wait-seconds", "1", *args)

    assert done.returncode == 2, done.stderr
    lines = [line for line in error_lines(done.stderr) if line.strip("╭─╰│╮╯ ")]
    assert message in " ".join(lines), done.stderr
    if "--role" not in message:
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ")


async def test_workers_wait_for_the_api_to_migrate(
    databases: Databases, redis_server: RedisServer, tmp_path: Path
) -> None:
    url = await databases.empty_postgres()
    base = {"database_url": url, "redis_url": redis_server.url(), "var_dir": tmp_path}
    env = clean_env(**settings_env("response", base), AIRLOCK_ADMIN_PASSWORD=ADMIN_PASSWORD)
    head = head_revision(RESPONSE_MIGRATIONS)

    too_early = prepare("response", env, "--role", "beat", "--wait-seconds", "1")
    assert too_early.returncode == 1
    assert error_lines(too_early.stderr) == [
        f"error: response database is at no revision, not {head}, after 1s: start the api "
        "(it migrates) or run `airlock-response migrate`"
    ]

    command = [sys.executable, "-m", "response_network", "prepare", "--role", "worker"]
    before = await sessions(databases.postgres, url)
    worker = start("worker", [*command, "--wait-seconds", "90"], log_dir=tmp_path, env=env)

    async def looked_twice() -> bool:
        # One session to see the database is up, then one per look at the revision.
        return await sessions(databases.postgres, url) >= before + 3

    try:
        await until(
            looked_twice,
            what="the worker to look for the schema twice",
            watch=[worker],
            poll=0.2,
        )
        assert prepare("response", env, "--role", "api").returncode == 0
        code = await asyncio.to_thread(worker.process.wait, scaled(60))
    finally:
        worker.stop()
    assert code == 0, worker.output()
    assert "response worker ready to start" in worker.output()
    assert await current_revision(url) == head


async def sessions(postgres: PostgresServer, url: str) -> int:
    """How many sessions clients have opened to the database of `url` (PostgreSQL's count)."""
    connection = await asyncpg.connect(postgres.dsn())
    try:
        count = await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", url.rsplit("/", 1)[1]
        )
    finally:
        await connection.close()
    return int(count or 0)


@pytest.mark.slow
def test_keys_from_the_environment_are_installed_and_checked(
    databases: Databases, tmp_path: Path
) -> None:
    generated = make_env(tmp_path / ".env.dev")
    keys = tmp_path / "var" / "keys"
    env = clean_env(
        **settings_env(
            "request", {"database_url": databases.empty_sqlite(), "var_dir": keys.parent}
        ),
        **key_env("request", generated),
    )

    first = prepare("request", env)
    assert first.returncode == 0, first.stderr
    assert (keys / "request.key").stat().st_mode & 0o777 == 0o600
    signing = load_private_key(keys / "request.key")
    assert public_key_text(signing.public_key()) == generated["REQUEST_PUBLIC_KEY"]
    assert (keys / "request.pub").read_text().strip() == generated["REQUEST_PUBLIC_KEY"]
    peer = load_public_key(keys / "response.pub")
    assert public_key_text(peer) == generated["RESPONSE_PUBLIC_KEY"]
    assert f"installed {keys / 'request.key'}" in first.stderr

    again = prepare("request", env)
    assert again.returncode == 0
    assert "installed" not in again.stderr

    # A public key that is not the signing key's other half is refused before anything runs.
    env["AIRLOCK_PUBLIC_KEY"] = generated["RESPONSE_PUBLIC_KEY"]
    mismatched = prepare("request", env)
    assert mismatched.returncode == 2
    assert error_lines(mismatched.stderr) == [
        "error: AIRLOCK_PUBLIC_KEY is not the public half of AIRLOCK_SIGNING_KEY"
    ]
    # So is a key pair on disk that does not belong together.
    del env["AIRLOCK_PUBLIC_KEY"]
    (keys / "request.pub").write_text(generated["RESPONSE_PUBLIC_KEY"] + "\n")
    stale = prepare("request", env)
    assert stale.returncode == 2
    assert error_lines(stale.stderr) == [
        f"error: {keys / 'request.pub'} is not the public half of {keys / 'request.key'}"
    ]


@pytest.mark.slow
async def test_the_entrypoint_prepares_then_execs_the_api(
    databases: Databases, redis_server: RedisServer, tmp_path: Path
) -> None:
    generated = make_env(tmp_path / ".env.dev")
    port = free_port()
    settings = {
        "environment": "production",
        "database_url": await databases.empty_postgres(),
        "redis_url": redis_server.url(3),
        "secret_key": generated["REQUEST_SECRET_KEY"],
        "port": port,
        "var_dir": tmp_path / "var",
        "transfer_dir": tmp_path / "transfer",
    }
    env = clean_env(
        AIRLOCK_NETWORK="request",
        **settings_env("request", settings),
        **key_env("request", generated),
    )
    api = start("api", [str(ENTRYPOINT), "api"], log_dir=tmp_path, env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health/ready", api)
        # `exec`: the API is the entrypoint's own process, and the keys left its environment.
        environ = Path(f"/proc/{api.pid}/environ").read_bytes().split(b"\0")
        assert b"AIRLOCK_NETWORK=request" in environ
        assert not [item for item in environ if item.startswith(b"AIRLOCK_SIGNING_KEY=")]
        assert (tmp_path / "var" / "keys" / "request.key").exists()
    finally:
        code = api.stop()
    output = api.output()
    # uvicorn shuts down cleanly, then re-raises SIGTERM as its exit status.
    assert "Application shutdown complete" in output
    assert code == -signal.SIGTERM
    assert "request database migrated from empty to" in output
    assert "request api ready to start" in output


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["api"], "error: AIRLOCK_NETWORK must be response or request, not ''"),
        (
            {"AIRLOCK_NETWORK": "response"},
            ["cook"],
            "error: unknown role 'cook': use api, worker or beat",
        ),
        (
            {"AIRLOCK_NETWORK": "response", "AIRLOCK_RESPONSE_PORT": "99999"},
            ["api"],
            "error: setting AIRLOCK_RESPONSE_PORT is invalid: "
            "Input should be less than or equal to 65535",
        ),
    ],
    ids=["no-network", "unknown-role", "bad-port"],
)
def test_the_entrypoint_refuses_a_wrong_start_in_one_line(
    env: dict[str, str], args: list[str], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(ENTRYPOINT), *args],
        env=clean_env(AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert done.returncode == 2
    assert error_lines(done.stderr) == [message]


def test_the_entrypoint_runs_a_one_off_command_once_prepared(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(ENTRYPOINT),
            "api",
            "sh",
            "-c",
            'echo "signing key in env: ${AIRLOCK_SIGNING_KEY:-no}"',
        ],
        env=clean_env(
            AIRLOCK_NETWORK="response",
            AIRLOCK_SIGNING_KEY="",
            AIRLOCK_ADMIN_PASSWORD=ADMIN_PASSWORD,
            AIRLOCK_RESPONSE_VAR_DIR=str(tmp_path),
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        ),
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "signing key in env: no"
    assert (tmp_path / "response.db").exists()
    assert (tmp_path / "metrics").is_dir()  # where the processes' metrics files go
