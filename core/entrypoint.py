"""Get a network process ready to start: `airlock-<network> prepare` (deploy/entrypoint.sh).

It waits for the database and Redis, migrates once under a lock (api role) or waits for the
schema (worker, beat), and installs the keys handed over in the environment
(`core.signing_keys`). Every failure is one line saying what to fix; nothing here serves or
runs jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

import typer
from alembic.util import CommandError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import make_url, pool, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from core.migrations import current_revision, head_revision
from core.process import PrepareFailed, fail
from core.settings import NetworkSettings, env_name
from core.signing_keys import KeyFiles, KeyInputs, install_keys, read_key_inputs

SettingsT = TypeVar("SettingsT", bound=NetworkSettings)

POLL_SECONDS = 0.5


def say(message: str) -> None:
    # Plain lines on stderr: container logs, never wrapped or styled.
    typer.echo(message, err=True)


class Role(StrEnum):
    API = "api"
    WORKER = "worker"
    BEAT = "beat"


@dataclass(frozen=True)
class Preparation:
    """What one network contributes; `prepare` does the rest the same for both."""

    settings: NetworkSettings
    role: Role
    wait_seconds: float
    migrations: Path
    migrate: Callable[[], None]
    seed: Callable[[], object] | None
    key_files: KeyFiles
    parse_public_key: Callable[[str], Ed25519PublicKey]
    """The networks' one-line public key format (`shared.transfer`), passed in by the CLI."""


def check_settings(settings: NetworkSettings, role: Role) -> None:
    """Refuse, before waiting on anything, a configuration that cannot work for `role`."""
    if role is not Role.API and settings.redis_url is None:
        raise PrepareFailed(
            f"{env_name(settings, 'redis_url')} is not set: a {role} needs Redis as its broker",
            exit_code=2,
        )
    if settings.environment != "production":
        return
    if not settings.database_url.startswith("postgresql"):
        raise PrepareFailed(
            f"{env_name(settings, 'database_url')} must be a postgresql+asyncpg:// URL "
            "in production",
            exit_code=2,
        )
    if settings.redis_url is None:
        raise PrepareFailed(
            f"{env_name(settings, 'redis_url')} is not set: production runs its jobs on "
            "Celery with Redis",
            exit_code=2,
        )
    if not settings.secret_key.get_secret_value():
        raise PrepareFailed(
            f"{env_name(settings, 'secret_key')} is empty: every replica must sign tokens "
            "with the same secret (`make env` generates one)",
            exit_code=2,
        )


def describe(url: str) -> str:
    """Where a URL points, without its user or password."""
    if url.startswith("sqlite"):
        return str(make_url(url).database)
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"{where}{parts.path}"


def reason(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    cause = getattr(exc, "orig", None) or exc
    message = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {message[0]}" if message else type(cause).__name__


async def wait_for_database(url: str, *, deadline: float, waited: float) -> None:
    engine = create_async_engine(
        url,
        poolclass=pool.NullPool,
        connect_args={} if url.startswith("sqlite") else {"timeout": 2},
    )
    last: BaseException | None = None
    try:
        while True:
            try:
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                return
            except (OSError, SQLAlchemyError, TimeoutError) as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise PrepareFailed(
                    f"database {describe(url)} not reachable after {waited:g}s ({reason(last)})"
                )
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await engine.dispose()


async def wait_for_redis(url: str, *, deadline: float, waited: float) -> None:
    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    last: BaseException | None = None
    try:
        while True:
            try:
                await client.ping()
                return
            except (OSError, RedisError) as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise PrepareFailed(
                    f"Redis {describe(url)} not reachable after {waited:g}s ({reason(last)})"
                )
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await client.aclose()


@contextlib.contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic logs two INFO lines per revision lookup: noise while polling or checking."""
    logger = logging.getLogger("alembic.runtime.migration")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


async def schema_revision(url: str) -> str | None:
    with quiet_alembic():
        return await current_revision(url)


async def wait_for_schema(
    url: str, head: str | None, *, network: str, deadline: float, waited: float
) -> None:
    """Workers and beat never migrate: they start once the api role has migrated."""
    revision: str | None = None
    while True:
        with contextlib.suppress(OSError, SQLAlchemyError, TimeoutError):
            revision = await schema_revision(url)
            if revision == head:
                return
        if time.monotonic() >= deadline:
            raise PrepareFailed(
                f"{network} database is at {revision or 'no revision'}, not {head}, after "
                f"{waited:g}s: start the api (it migrates) or run `airlock-{network} migrate`"
            )
        await asyncio.sleep(POLL_SECONDS)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    digest = hashlib.sha256(f"airlock.{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _open_lock_file(sqlite_url: str) -> int:
    database = Path(make_url(sqlite_url).database or "airlock.db").resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    return os.open(
        database.with_name(f"{database.name}.migrate.lock"), os.O_RDWR | os.O_CREAT, 0o600
    )


@contextlib.asynccontextmanager
async def migration_lock(url: str, name: str) -> AsyncIterator[None]:
    """Exclusive across every process migrating this database: replicas start together.

    PostgreSQL: a session advisory lock (freed if the holder dies). SQLite: a file lock
    beside the database file.
    """
    if url.startswith("postgresql"):
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                key = lock_key(name)
                if not await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
                    say("waiting for another process to finish migrating")
                    await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                try:
                    yield
                finally:
                    await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            await engine.dispose()
        return
    fd = _open_lock_file(url)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another process to finish migrating")
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def migrate_once(preparation: Preparation) -> str:
    """Migrate to head and seed, holding the lock: the second replica finds nothing to do."""
    settings = preparation.settings
    url = settings.resolved_database_url
    network = settings.network_name
    head = head_revision(preparation.migrations)
    async with migration_lock(url, f"migrate.{network}"):
        before = await schema_revision(url)
        try:
            if before != head:
                await asyncio.to_thread(preparation.migrate)
        except CommandError as exc:
            raise PrepareFailed(
                f"{network} database at {before} cannot be migrated to {head}: {exc}"
            ) from None
        if preparation.seed is not None:
            await asyncio.to_thread(preparation.seed)
    if before == head:
        return f"{network} database already at {head}"
    return f"{network} database migrated from {before or 'empty'} to {head}"


async def _prepare(preparation: Preparation, keys: KeyInputs) -> list[str]:
    settings = preparation.settings
    url = settings.resolved_database_url
    waited = preparation.wait_seconds
    deadline = time.monotonic() + waited
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    await wait_for_database(url, deadline=deadline, waited=waited)
    if settings.redis_url is not None:
        await wait_for_redis(settings.redis_url, deadline=deadline, waited=waited)
    messages: list[str] = []
    if preparation.role is Role.API:
        messages.append(await migrate_once(preparation))
    else:
        head = head_revision(preparation.migrations)
        await wait_for_schema(
            url, head, network=settings.network_name, deadline=deadline, waited=waited
        )
    # Beat only enqueues: it never signs or reads a batch, so it gets no keys.
    if preparation.role is not Role.BEAT:
        messages += install_keys(preparation.key_files, keys, preparation.parse_public_key)
    return messages


def prepare(preparation: Preparation, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Everything a role needs before it starts; raises `PrepareFailed` with one line."""
    check_settings(preparation.settings, preparation.role)
    keys = read_key_inputs(environ, preparation.parse_public_key)
    return asyncio.run(_prepare(preparation, keys))


def prepare_command(
    load_settings: Callable[[], SettingsT],
    *,
    migrations: Path,
    migrate: Callable[[SettingsT], None],
    seed: Callable[[SettingsT], object] | None,
    key_files: Callable[[SettingsT], KeyFiles],
    parse_public_key: Callable[[str], Ed25519PublicKey],
) -> Callable[..., None]:
    """The `prepare` command of a network's CLI."""

    def command(
        role: Annotated[
            Role, typer.Option(help="api migrates and seeds; worker and beat wait for the schema")
        ] = Role.API,
        wait_seconds: Annotated[
            float, typer.Option(min=0, help="How long to wait for the database, Redis, schema")
        ] = 60.0,
    ) -> None:
        """Wait for the database and Redis, migrate once, seed, install keys: ready to start."""
        settings = load_settings()
        preparation = Preparation(
            settings=settings,
            role=role,
            wait_seconds=wait_seconds,
            migrations=migrations,
            migrate=lambda: migrate(settings),
            seed=(lambda: seed(settings)) if seed is not None else None,
            key_files=key_files(settings),
            parse_public_key=parse_public_key,
        )
        try:
            messages = prepare(preparation)
        except PrepareFailed as failed:
            fail(str(failed), failed.exit_code)
        for message in messages:
            say(message)
        say(f"{settings.network_name} {role} ready to start")

    return command
