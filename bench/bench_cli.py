"""Start-up time of the command lines, against a bare `python -c pass` timed in the same run.

    .venv/bin/python -m bench.bench_cli [--runs 7]

Times `airlock --help`, `airlock-response --help`, `airlock-request --help`,
`airlock-client --help` and `airlock transfer verify` on a small batch written to a
temporary directory, each as a new process, and prints the median wall time and its ratio
to the bare interpreter. Targets, with bytecode compiled (the project and the installed
packages: with PYTHONDONTWRITEBYTECODE set, compiling typer and rich costs about 0.5 s at
every start): each `--help` under 0.5 s, `transfer verify` under 1 s. Asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import structlog

from bench.report import Measure, below, emit
from shared.transfer import generate_signing_key, save_public_key, write_batches
from tests.shared.transfer.samples import SOURCE, STREAM, questions

BIN = Path(sys.executable).parent


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of `runs` fresh processes; each must succeed."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def without_bytecode(package: str) -> bool:
    """True when `package` has no compiled bytecode: every start then compiles its source."""
    spec = importlib.util.find_spec(package)
    origin = Path(spec.origin) if spec and spec.origin else None
    return origin is None or not (origin.parent / "__pycache__").is_dir()


def main(runs: int) -> list[Measure]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as directory:
        key = generate_signing_key()
        peer_key = Path(directory) / "peer.pub"
        save_public_key(key.public_key(), peer_key)
        [batch] = write_batches(
            questions(20),
            stream=STREAM,
            source_network=SOURCE,
            directory=Path(directory) / "out",
            signing_key=key,
            first_sequence=1,
        )
        commands = {
            "airlock --help": [str(BIN / "airlock"), "--help"],
            "airlock-response --help": [str(BIN / "airlock-response"), "--help"],
            "airlock-request --help": [str(BIN / "airlock-request"), "--help"],
            "airlock-client --help": [str(BIN / "airlock-client"), "--help"],
            "airlock transfer verify (20 records)": [
                *(str(BIN / "airlock"), "transfer", "verify", str(batch.path)),
                *("--peer-key", str(peer_key), "--source", SOURCE),
            ],
        }
        bare = median_seconds([sys.executable, "-c", "pass"], runs)
        print(f"median of {runs} runs; baseline `python -c pass`: {bare * 1000:6.0f} ms")
        measures = []
        for label, command in commands.items():
            seconds = median_seconds(command, runs)
            print(f"{label:40} {seconds * 1000:6.0f} ms  {seconds / bare:5.1f}x baseline")
            limit = 1.0 if "verify" in label else 0.5
            measures.append(
                below(label, seconds, "s", limit, baseline=bare, baseline_name="python -c pass")
            )
    missing = [name for name in ("typer", "rich", "core", "shared") if without_bytecode(name)]
    if missing:
        print(
            f"no bytecode for {', '.join(missing)}: these figures include compiling them "
            "(`uv sync --compile-bytecode`, `python -m compileall` compile once)"
        )
    return measures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    emit(main(parser.parse_args().runs))
