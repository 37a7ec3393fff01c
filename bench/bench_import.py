"""Import and export speed on PostgreSQL, and import memory against batch size.

    .venv/bin/python -m bench.bench_import [--records 100000] [--naive 5000]
                                           [--big 1000000] [--small 10000] [--skip-rss]

Starts a throwaway PostgreSQL (as the tests do), then measures in the same run:
- import: a signed `users` batch of N records through the real importer (verify, parse,
  versioned bulk upsert, ledger) against a naive import of the same records (one ORM object
  added and flushed per record; run on a sample, its rate extrapolated; target >= 20x) and
  against a raw `COPY` of the same rows into the same table, already parsed, no checks, no
  upsert (asyncpg `copy_records_to_table`; target >= 0.5x).
- export: N changed users into batches through the real exporter.
- peak RSS of the importer (a subprocess per size) for a big and a small batch. Target <= 1.5x.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from sqlalchemy import insert

from bench.report import Measure, at_least, at_most, emit, info
from core.db import UnitOfWork, create_engine, create_session_factory
from core.locks import FileLocks
from core.migrations import upgrade
from request_network.bootstrap import MIGRATIONS as REQUEST_MIGRATIONS
from request_network.transfer.models import LEDGER as REQUEST_LEDGER
from request_network.users.models import User as ReplicaUser
from request_network.users.stream import USERS_IN
from response_network.bootstrap import MIGRATIONS as RESPONSE_MIGRATIONS
from response_network.transfer.models import LEDGER as RESPONSE_LEDGER
from response_network.transfer.models import ChangeLog
from response_network.users.models import User
from response_network.users.stream import USERS_OUT
from shared.exchange.context import Keys, Ledger, TransferContext
from shared.exchange.export import export_stream
from shared.exchange.importing import import_file
from shared.records import UsersStreamRecord
from shared.streams import StreamRegistry
from shared.transfer import (
    BatchLimits,
    generate_signing_key,
    load_private_key,
    open_batch,
    save_private_key,
    write_batches,
)
from tests.services import PostgresServer, run_postgres

LIMITS = BatchLimits(max_batch_bytes=4 * 1024**3, max_records=2_000_000)
PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$" + "a" * 22 + "$" + "b" * 43


def user_records(count: int) -> Iterator[dict[str, Any]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        {
            "kind": "user",
            "id": uuid.uuid4(),
            "username": f"user{i}",
            "email": f"user{i}@example.org",
            "display_name": f"User number {i}",
            "role": "user",
            "active": True,
            "password_hash": PASSWORD_HASH,
            "profile": "standard",
            "limit_overrides": None,
            "version": 1,
            "created_at": now + timedelta(seconds=i),
            "updated_at": now + timedelta(seconds=i),
        }
        for i in range(count)
    )


async def database(server: PostgresServer, name: str, migrations: Path) -> str:
    connection = await asyncpg.connect(server.dsn())
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = server.url(name)
    await asyncio.to_thread(upgrade, migrations, url)
    return url


def context(
    url: str,
    network: str,
    peer: str,
    ledger: Ledger,
    streams: StreamRegistry,
    root: Path,
    keys: Keys,
) -> TransferContext:
    factory = create_session_factory(create_engine(url))
    return TransferContext(
        network=network,
        peer=peer,
        root=root,
        inbox_dir=root / peer / "outbox",
        ledger=ledger,
        streams=streams,
        keys=keys,
        locks=FileLocks(root / f"{network}-locks"),
        unit_of_work=lambda: UnitOfWork(factory),
        limits=LIMITS,
    )


def write_users_batch(count: int, directory: Path, key: Any) -> Path:
    [info] = write_batches(
        user_records(count),
        stream="users",
        source_network="response",
        directory=directory,
        signing_key=key,
        first_sequence=1,
        limits=LIMITS,
    )
    return info.path


async def fast_import(url: str, batch: Path, key: Any, root: Path) -> float:
    ctx = context(
        url,
        "request",
        "response",
        REQUEST_LEDGER,
        StreamRegistry(inbound={"users": USERS_IN}),
        root,
        Keys(None, key.public_key()),
    )
    ctx.ensure_dirs()
    target = ctx.inbox_dir / batch.name
    batch.rename(target)
    started = time.perf_counter()
    result = await import_file(ctx, target)
    elapsed = time.perf_counter() - started
    assert result.status == "applied", result
    return elapsed


async def naive_import(url: str, batch: Path, key: Any, sample: int) -> float:
    """The baseline: one ORM object added and flushed per record, for `sample` records."""
    factory = create_session_factory(create_engine(url))
    started = time.perf_counter()
    async with UnitOfWork(factory) as uow:
        with open_batch(
            batch, verify_key=key.public_key(), expected_source="response", limits=LIMITS
        ) as reader:
            for index, record in enumerate(reader.records(UsersStreamRecord)):
                if index >= sample:
                    break
                row = record.root.model_dump(exclude={"kind"})
                uow.session.add(ReplicaUser(**row))
                await uow.session.flush()
    return time.perf_counter() - started


async def raw_copy(url: str, count: int) -> float:
    """The floor: the same rows, already in memory, copied into the table; no checks."""
    rows = [{k: v for k, v in r.items() if k != "kind"} for r in user_records(count)]
    columns = list(rows[0])
    records = [tuple(row[c] for c in columns) for row in rows]
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        started = time.perf_counter()
        await connection.copy_records_to_table("user", records=records, columns=columns)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def export_figures(server: PostgresServer, count: int, root: Path) -> float:
    url = await database(server, "bench_export", RESPONSE_MIGRATIONS)
    key = generate_signing_key()
    rows = list(user_records(count))
    factory = create_session_factory(create_engine(url))
    async with UnitOfWork(factory) as uow:
        for start in range(0, count, 5000):
            chunk = [
                {k: v for k, v in r.items() if k != "kind"} for r in rows[start : start + 5000]
            ]
            await uow.session.execute(insert(User), chunk)
            await uow.session.execute(
                insert(ChangeLog),
                [
                    {
                        "stream": "users",
                        "record_type": "user",
                        "record_id": r["id"],
                        "changed_at": r["created_at"],
                    }
                    for r in chunk
                ],
            )
    ctx = context(
        url,
        "response",
        "request",
        RESPONSE_LEDGER,
        StreamRegistry(outbound={"users": USERS_OUT}),
        root,
        Keys(key, None),
    )
    started = time.perf_counter()
    result = await export_stream(ctx, "users")
    elapsed = time.perf_counter() - started
    assert result.records == count, result.records
    return elapsed


def rss_child(url: str, batch: str, key_file: str, directory: str) -> None:
    """Runs in a subprocess: import one batch, print the peak RSS in KiB."""
    key = load_private_key(Path(key_file))
    asyncio.run(fast_import(url, Path(batch), key, Path(directory)))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


async def main(args: argparse.Namespace) -> list[Measure]:
    logging.disable(logging.INFO)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with run_postgres() as server, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = generate_signing_key()
        n = args.records
        print(f"import of {n:,} user records on PostgreSQL")
        started = time.perf_counter()
        batch = write_users_batch(n, root / "made", key)
        megabytes = batch.stat().st_size / 1e6
        print(f"  batch written in {time.perf_counter() - started:.2f}s ({megabytes:.1f} MB)")

        naive_url = await database(server, "bench_naive", REQUEST_MIGRATIONS)
        naive_s = await naive_import(naive_url, batch, key, args.naive)
        naive_rate = args.naive / naive_s

        fast_url = await database(server, "bench_fast", REQUEST_MIGRATIONS)
        fast_s = await fast_import(fast_url, batch, key, root / "fast")
        fast_rate = n / fast_s
        print(f"  airlock import : {fast_rate:12,.0f} records/s ({fast_s:.2f}s)")
        sampled = f"flush per record, {args.naive:,} sampled"
        print(f"  naive ORM      : {naive_rate:12,.0f} records/s ({sampled})")
        print(f"  ratio          : {fast_rate / naive_rate:12.1f}x   (target >= 20x)")
        copy_url = await database(server, "bench_copy", REQUEST_MIGRATIONS)
        copy_rate = n / await raw_copy(copy_url, n)
        print(f"  raw COPY       : {copy_rate:12,.0f} records/s (parsed rows, no checks)")
        print(f"  ratio          : {fast_rate / copy_rate:12.2f}x   (target >= 0.5x)")
        measures = [
            at_least("import, users", fast_rate, "rec/s", naive_rate, "naive ORM", 20),
            at_least("import, users", fast_rate, "rec/s", copy_rate, "raw COPY", 0.5),
        ]

        export_s = await export_figures(server, n, root / "export")
        print(f"export of {n:,} changed users: {n / export_s:,.0f} records/s ({export_s:.2f}s)")
        measures.append(info("export, users", n / export_s, "rec/s"))

        if not args.skip_rss:
            figures = {}
            key_file = root / "rss.key"
            save_private_key(key, key_file)
            for size in (args.small, args.big):
                url = await database(server, f"bench_rss_{size}", REQUEST_MIGRATIONS)
                # Written here, with a generator: the child's peak is the import's alone.
                made = write_users_batch(size, root / f"rss-{size}", key)
                with tempfile.TemporaryDirectory() as child_dir:
                    output = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "bench.bench_import",
                            "--rss-child",
                            url,
                            "--batch",
                            str(made),
                            "--key",
                            str(key_file),
                            "--dir",
                            child_dir,
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout.split()
                figures[size] = int(output[-1]) / 1024
            small, big = figures[args.small], figures[args.big]
            print(f"peak RSS importing {args.small:,} records: {small:8.1f} MiB")
            print(f"peak RSS importing {args.big:,} records: {big:8.1f} MiB")
            print(f"ratio: {big / small:.2f}x (target <= 1.5x)")
            name = f"peak RSS importing {args.big:,} records"
            measures.append(at_most(name, big, "MiB", small, f"{args.small:,} records", 1.5))
    return measures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=5_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--rss-child")
    parser.add_argument("--batch")
    parser.add_argument("--key")
    parser.add_argument("--dir")
    options = parser.parse_args()
    if options.rss_child:
        logging.disable(logging.INFO)
        rss_child(options.rss_child, options.batch, options.key, options.dir)
    else:
        emit(asyncio.run(main(options)))
