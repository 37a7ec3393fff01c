"""Run every benchmark, then print one table and keep the figures as JSON.

    .venv/bin/python -m bench [--only round_trip submit ...]     (what `make bench` runs)

Each benchmark runs as its own process (the order below; its detail printed as it goes) and
hands its measures back (`bench/report.py`). Then one table: measure, figure, the baseline
measured in the same run, the ratio, the target, met or not. The figures go to
`var/bench/<UTC time>.json` and `var/bench/latest.json`. On a shared machine the absolute
figures wander; the ratios, measured within one run, are what to compare.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.report import OUT, Measure, load

ROOT = Path(__file__).resolve().parent.parent

BENCHES: dict[str, list[str]] = {
    "cli": [],
    "validation": [],
    "login": [],
    "ratelimit": [],
    "batch": [],
    "import": [],
    "response_cache": [],
    "submit": [],
    "round_trip": ["--requests", "200"],
    "round_trip_production": ["--requests", "200", "--mode", "production"],
    "search": ["--documents", "50000"],
}
"""Module (after `bench_`) and arguments; `round_trip_production` is `bench_round_trip`."""


def module(name: str) -> str:
    return "bench.bench_round_trip" if name == "round_trip_production" else f"bench.bench_{name}"


def run(name: str, arguments: list[str]) -> tuple[list[Measure], float, int]:
    """Run one benchmark; its measures, seconds and exit status."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    env = os.environ | {OUT: str(out)}
    started = time.perf_counter()
    code = subprocess.run(
        [sys.executable, "-m", module(name), *arguments], cwd=ROOT, env=env, check=False
    ).returncode
    seconds = time.perf_counter() - started
    try:
        measures = load(out, name) if code == 0 and out.stat().st_size else []
    finally:
        out.unlink(missing_ok=True)
    if code != 0 or not measures:
        measures = [Measure(f"{name}: no figures (exit {code})", 0.0, "", bench=name, met=False)]
    return measures, seconds, code


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def table(measures: list[Measure], seconds: float) -> Table:
    grid = Table(title=f"Airlock benchmarks ({seconds / 60:.1f} min)", title_justify="left")
    for column in ("bench", "measure", "figure", "baseline (same run)", "ratio", "target", "met"):
        grid.add_column(column, justify="right" if column in {"figure", "ratio"} else "left")
    for m in measures:
        baseline = f"{number(m.baseline, m.unit)} {m.baseline_name}".strip()
        met = "" if m.met is None else ("met" if m.met else "[bold red]NOT met[/]")
        ratio = "" if m.ratio is None else f"{m.ratio:.2f}x"
        grid.add_row(m.bench, m.name, number(m.figure, m.unit), baseline, ratio, m.target, met)
    return grid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these")
    chosen = parser.parse_args().only or list(BENCHES)
    started_at, started = datetime.now(UTC), time.perf_counter()
    measures: list[Measure] = []
    runs = {}
    for name in chosen:
        print(f"== {module(name)} {' '.join(BENCHES[name])}", flush=True)
        found, seconds, code = run(name, BENCHES[name])
        measures += found
        runs[name] = {"seconds": round(seconds, 1), "exit": code}
    total = time.perf_counter() - started
    console = Console(width=160)
    console.print(table(measures, total))
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "started_at": started_at.isoformat(),
        "seconds": round(total, 1),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "benches": runs,
        "measures": [dataclasses.asdict(m) for m in measures],
    }
    text = json.dumps(document, indent=2)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    (directory / f"{stamp}.json").write_text(text)
    (directory / "latest.json").write_text(text)
    print(f"figures: var/bench/{stamp}.json (and var/bench/latest.json)")
    return 1 if any(code["exit"] for code in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
