"""Batch format figures: export speed, verify+parse speed, and memory against batch size.

    .venv/bin/python -m bench.bench_batch [--records 200000] [--big 1000000] [--small 10000]

Prints figures, asserts nothing. The records are those of the `users` stream (users and API
keys). Targets: verify+parse as dicts, and typed as the importer reads them (msgspec structs
of `UsersStreamRecord`, `InboundStream.decoder`), at least 0.8x the speed of bare
`orjson.loads` over the same lines; peak RSS reading a big batch at most 1.5x that of
reading a small one (the reader streams). pydantic's `validate_json`, which the importer used
before, is shown for information.
"""

from __future__ import annotations

import argparse
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

import orjson
import structlog
from pydantic import BaseModel

from bench import report
from bench.report import Measure, at_least, at_most, emit
from shared.records import UsersStreamRecord
from shared.transfer import (
    BatchLimits,
    generate_signing_key,
    load_private_key,
    open_batch,
    save_private_key,
    verify_batch,
    write_batches,
)
from shared.transfer.structs import RecordDecoder, record_decoder

UNLIMITED = BatchLimits(max_batch_bytes=4 * 1024**3, max_records=10_000_000)
PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$" + "a" * 22 + "$" + "b" * 43
TYPED = record_decoder(UsersStreamRecord)
"""What the importer reads the `users` stream with (`InboundStream.decoder`)."""


def make_records(count: int) -> Iterator[dict[str, Any]]:
    """Users, each fourth record an API key of the user before it, as the exporter writes them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    user_id = uuid.uuid4()
    for number in range(count):
        at = (start + timedelta(seconds=number)).isoformat()
        if number % 4 == 3:
            yield {
                "kind": "api_key",
                "id": str(uuid.uuid4()),
                "user_id": str(user_id),
                "name": f"key {number}",
                "prefix": f"ak_{number:08x}",
                "secret_hash": f"{number:064x}",
                "scopes": ["requests:read", "requests:write"],
                "created_at": at,
                "expires_at": None,
                "revoked_at": None,
                "version": 1,
            }
            continue
        user_id = uuid.uuid4()
        yield {
            "kind": "user",
            "id": str(user_id),
            "username": f"user{number}",
            "email": f"user{number}@example.org",
            "display_name": f"User number {number}",
            "role": "user",
            "active": True,
            "password_hash": PASSWORD_HASH,
            "profile": "standard",
            "limit_overrides": None,
            "password_changed_at": None,
            "version": number % 7 + 1,
            "created_at": at,
            "updated_at": at,
        }


def timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def best_of(actions: list[Any], rounds: int = 5) -> list[float]:
    """The fastest of a few runs of each, taken in turns: the figures least disturbed by the
    rest of the machine, and each ratio between two of them taken under the same load."""
    best = [float("inf")] * len(actions)
    for _ in range(rounds):
        for index, action in enumerate(actions):
            best[index] = min(best[index], timed(action)[0])
    return best


def bench_speed(records: int, directory: Path) -> list[Measure]:
    key = generate_signing_key()
    seconds, infos = timed(
        lambda: write_batches(
            make_records(records),
            stream="users",
            source_network="request",
            directory=directory / "out",
            signing_key=key,
            first_sequence=1,
        )
    )
    payload = sum(info.payload_bytes for info in infos)
    print(f"records: {records:,} in {len(infos)} batches, payload {payload / 1e6:.1f} MB")
    print(f"export (generate + write):   {records / seconds:12,.0f} records/s")
    generate, _ = timed(lambda: sum(1 for _ in make_records(records)))
    print(f"export (write only):         {records / (seconds - generate):12,.0f} records/s")

    def read_all(schema: type[BaseModel] | RecordDecoder | None) -> None:
        for info in infos:
            verify_batch(
                info.path, verify_key=key.public_key(), expected_source="request", schema=schema
            )

    lines_file = directory / "records.jsonl"
    with lines_file.open("wb") as handle:
        for info in infos:
            with open_batch(
                info.path, verify_key=key.public_key(), expected_source="request"
            ) as reader:
                for record in reader.records():
                    handle.write(orjson.dumps(record) + b"\n")

    def plain_orjson() -> None:
        loads = orjson.loads
        with lines_file.open("rb") as handle:
            for line in handle:
                loads(line)

    def plain_pydantic() -> None:
        validate = UsersStreamRecord.__pydantic_validator__.validate_json
        with lines_file.open("rb") as handle:
            for line in handle:
                validate(line)

    def plain_msgspec() -> None:
        decode = TYPED.decode
        with lines_file.open("rb") as handle:
            for line in handle:
                decode(line)

    megabytes = payload / 1e6
    baseline, msgspec_only, pydantic_only, typed, with_pydantic, as_dicts = best_of(
        [
            plain_orjson,
            plain_msgspec,
            plain_pydantic,
            lambda: read_all(TYPED),
            lambda: read_all(UsersStreamRecord),
            lambda: read_all(None),
        ]
    )
    print(f"plain orjson.loads:            {megabytes / baseline:10.1f} MB/s")
    print(f"plain msgspec struct decode:   {megabytes / msgspec_only:10.1f} MB/s")
    print(f"plain pydantic validate_json:  {megabytes / pydantic_only:10.1f} MB/s")
    print(
        f"verify + parse, dicts:         {megabytes / as_dicts:10.1f} MB/s"
        f"  ({baseline / as_dicts:.2f}x orjson)"
    )
    print(
        f"verify + parse, typed:         {megabytes / typed:10.1f} MB/s"
        f"  ({baseline / typed:.2f}x orjson, {msgspec_only / typed:.2f}x msgspec alone)"
    )
    print(
        f"verify + parse, pydantic:      {megabytes / with_pydantic:10.1f} MB/s"
        f"  ({baseline / with_pydantic:.2f}x orjson, {pydantic_only / with_pydantic:.2f}x"
        " pydantic alone)"
    )
    orjson_rate = megabytes / baseline
    return [
        at_least(
            "verify + parse, dicts", megabytes / as_dicts, "MB/s", orjson_rate, "orjson.loads", 0.8
        ),
        at_least(
            "verify + parse, typed (msgspec)",
            megabytes / typed,
            "MB/s",
            orjson_rate,
            "orjson.loads",
            0.8,
        ),
        report.info(
            "verify + parse, pydantic",
            megabytes / with_pydantic,
            "MB/s",
            baseline=orjson_rate,
            baseline_name="orjson.loads",
        ),
    ]


def peak_rss_reading(records: int, directory: Path, key_file: Path) -> int:
    """Write one batch of `records`, read it in a fresh process, return its peak RSS (KiB)."""
    out = directory / f"rss-{records}"
    [info] = write_batches(
        make_records(records),
        stream="users",
        source_network="request",
        directory=out,
        signing_key=load_private_key(key_file),
        first_sequence=1,
        limits=UNLIMITED,
    )
    child = subprocess.run(
        [sys.executable, __file__, "--read-child", str(info.path), str(key_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout.split()[-1])


def read_child(path: Path, key_file: Path) -> None:
    key = load_private_key(key_file).public_key()
    verify_batch(path, verify_key=key, expected_source="request", limits=UNLIMITED, schema=TYPED)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def bench_memory(big: int, small: int, directory: Path) -> Measure:
    key_file = directory / "signing.pem"
    save_private_key(generate_signing_key(), key_file)
    small_rss = peak_rss_reading(small, directory, key_file)
    big_rss = peak_rss_reading(big, directory, key_file)
    print(f"peak RSS reading {small:>9,} records: {small_rss / 1024:8.1f} MiB")
    print(f"peak RSS reading {big:>9,} records: {big_rss / 1024:8.1f} MiB")
    print(f"ratio big/small: {big_rss / small_rss:.2f}x (target <= 1.5x)")
    return at_most(
        f"peak RSS reading {big:,} records",
        big_rss / 1024,
        "MiB",
        small_rss / 1024,
        f"{small:,} records",
        1.5,
    )


def main() -> list[Measure]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--read-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.read_child:
        read_child(*arguments.read_child)
        return []
    with tempfile.TemporaryDirectory() as scratch:
        measures = bench_speed(arguments.records, Path(scratch))
    with tempfile.TemporaryDirectory() as scratch:
        measures.append(bench_memory(arguments.big, arguments.small, Path(scratch)))
    return measures


if __name__ == "__main__":
    emit(main())
