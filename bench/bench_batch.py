"""Batch format figures: export speed, verify+parse speed, and memory against batch size.

    .venv/bin/python -m bench.bench_batch [--records 200000] [--big 1000000] [--small 10000]

Prints figures, asserts nothing. Targets: verify+parse (as dicts, and typed with a pydantic
schema) at least 0.8x the speed of bare `orjson.loads` over the same lines; peak RSS reading
a big batch at most 1.5x that of reading a small one (the reader streams).
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import structlog
from pydantic import BaseModel, ConfigDict

from bench.report import Measure, at_least, at_most, emit
from shared.transfer import (
    BatchLimits,
    generate_signing_key,
    load_private_key,
    open_batch,
    save_private_key,
    verify_batch,
    write_batches,
)

UNLIMITED = BatchLimits(max_batch_bytes=4 * 1024**3, max_records=10_000_000)


class Question(BaseModel):
    """A realistic record: what a request network sends over."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    version: int
    title: str
    body: str
    owner: str
    status: str
    updated_at: datetime


def make_records(count: int) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    for number in range(count):
        yield {
            "id": str(uuid.uuid4()),
            "version": number % 7 + 1,
            "title": f"How do I file form {number}?",
            "body": "Please explain the steps and the documents needed for this form. " * 2,
            "owner": f"user{number % 997}@example.org",
            "status": "open",
            "updated_at": now,
        }


def timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def best_of(action: Any, rounds: int = 3) -> float:
    """The fastest of a few runs: the figure least disturbed by the rest of the machine."""
    return min(timed(action)[0] for _ in range(rounds))


def bench_speed(records: int, directory: Path) -> list[Measure]:
    key = generate_signing_key()
    seconds, infos = timed(
        lambda: write_batches(
            make_records(records),
            stream="questions",
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

    def read_all(schema: type[BaseModel] | None) -> None:
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
        validate = Question.__pydantic_validator__.validate_json
        with lines_file.open("rb") as handle:
            for line in handle:
                validate(line)

    megabytes = payload / 1e6
    baseline = best_of(plain_orjson)
    pydantic_only = best_of(plain_pydantic)
    with_schema = best_of(lambda: read_all(Question))
    as_dicts = best_of(lambda: read_all(None))
    print(f"plain orjson.loads:          {megabytes / baseline:12.1f} MB/s")
    print(f"plain pydantic validate_json:{megabytes / pydantic_only:12.1f} MB/s")
    print(
        f"verify + parse, dicts:       {megabytes / as_dicts:12.1f} MB/s"
        f"  ({baseline / as_dicts:.2f}x orjson)"
    )
    print(
        f"verify + parse, pydantic:    {megabytes / with_schema:12.1f} MB/s"
        f"  ({baseline / with_schema:.2f}x orjson, {pydantic_only / with_schema:.2f}x pydantic)"
    )
    orjson_rate = megabytes / baseline
    return [
        at_least(
            "verify + parse, dicts", megabytes / as_dicts, "MB/s", orjson_rate, "orjson.loads", 0.8
        ),
        at_least(
            "verify + parse, typed",
            megabytes / with_schema,
            "MB/s",
            orjson_rate,
            "orjson.loads",
            0.8,
        ),
    ]


def peak_rss_reading(records: int, directory: Path, key_file: Path) -> int:
    """Write one batch of `records`, read it in a fresh process, return its peak RSS (KiB)."""
    out = directory / f"rss-{records}"
    [info] = write_batches(
        make_records(records),
        stream="questions",
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
    verify_batch(path, verify_key=key, expected_source="request", limits=UNLIMITED, schema=Question)
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
