"""Throwaway PostgreSQL and Redis servers for the test session (real parts, no mocks)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.waiting import scaled, wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    wait_until(lambda: port_open(port), what=f"a server on port {port}", timeout=timeout)


def postgres_bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL binaries not found: run `make test` (it installs them)")
    return Path(candidates[0]).parent


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str = "airlock"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


def _as_postgres_user(command: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root; drop to the `postgres` system user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    """A throwaway cluster a test may stop (`-m immediate`, a crash) and start again on the
    same port and data directory: a database outage and its end."""

    def __init__(self, *, crash_safe: bool = False) -> None:
        # Asynchronous commits are fast, but `-m immediate` loses the last ones: a cluster a
        # test crashes must keep what it committed, as production's does.
        self.synchronous_commit = "on" if crash_safe else "off"
        self.bin_dir = postgres_bin_dir()
        # A throwaway cluster lives in memory when it can: each test database is a copied
        # template, and creating then deleting hundreds of them on disk cost minutes at
        # teardown.
        memory = Path("/dev/shm")
        in_memory = memory.is_dir() and os.access(memory, os.W_OK)
        self.base = Path(tempfile.mkdtemp(prefix="airlock-pg-", dir=memory if in_memory else None))
        self.base.chmod(0o755)
        self.data = self.base / "data"
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self.server = PostgresServer(free_port())
        initdb = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "airlock",
        ]
        subprocess.run(
            _as_postgres_user([*initdb, "-E", "UTF8", "--no-sync", "--no-locale"]),
            check=True,
            capture_output=True,
        )

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(_as_postgres_user(command), check=check, capture_output=True)

    def start(self) -> None:
        options = (
            f"-p {self.server.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit={self.synchronous_commit} -c full_page_writes=off "
            "-c max_connections=200"
        )
        # -t: several xdist workers may start their clusters at once on a loaded machine.
        self._pg_ctl(
            "-o",
            options,
            "-l",
            str(self.base / "log"),
            "-w",
            "-t",
            str(round(scaled(120))),
            "start",
        )

    def stop(self, *, check: bool = True) -> None:
        """Stop at once, as a crash would: every connection is cut, nothing is flushed."""
        self._pg_ctl("-m", "immediate", "-w", "stop", check=check)

    def remove(self) -> None:
        self.stop(check=False)
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def run_postgres_cluster(*, crash_safe: bool = False) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(crash_safe=crash_safe)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def run_postgres() -> Iterator[PostgresServer]:
    with run_postgres_cluster() as cluster:
        yield cluster.server


@dataclass(frozen=True)
class RedisServer:
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class RedisProcess:
    """A redis-server a test may stop and start again on the same port: an outage and its
    end, with nothing kept across it (no persistence), as after a crash."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run `make test` (it installs it)")
        self.binary = binary
        self.server = RedisServer(free_port())
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        port = str(self.server.port)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.server.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def run_redis_process() -> Iterator[RedisProcess]:
    redis = RedisProcess()
    try:
        redis.start()
        yield redis
    finally:
        redis.stop()


@contextlib.contextmanager
def run_redis() -> Iterator[RedisServer]:
    with run_redis_process() as redis:
        yield redis.server
