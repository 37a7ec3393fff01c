"""One shape for every benchmark's figures, so `python -m bench` prints them in one table.

A benchmark's `main()` prints its own detail and returns its `Measure`s; run by the runner
(`AIRLOCK_BENCH_OUT` set), its `__main__` block hands them over with `emit`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT = "AIRLOCK_BENCH_OUT"
"""The file a benchmark run by the runner writes its measures into (JSON)."""


@dataclass(frozen=True)
class Measure:
    """One figure, next to the baseline measured in the same run.

    `ratio` is figure / baseline; `target` reads as a condition on the ratio (`>= 20x`) or,
    with no baseline, on the figure (`< 0.2 s`); `met` is None when there is no target."""

    name: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    bench: str = ""


def at_least(
    name: str, figure: float, unit: str, baseline: float, baseline_name: str, target: float
) -> Measure:
    """Higher is better (a rate): the ratio must reach `target`."""
    ratio = figure / baseline
    return Measure(
        name, figure, unit, baseline, baseline_name, ratio, f">= {target:g}x", ratio >= target
    )


def at_most(
    name: str, figure: float, unit: str, baseline: float, baseline_name: str, target: float
) -> Measure:
    """Lower is better (a latency, a memory peak): the ratio must stay within `target`."""
    ratio = figure / baseline
    return Measure(
        name, figure, unit, baseline, baseline_name, ratio, f"<= {target:g}x", ratio <= target
    )


def below(name: str, figure: float, unit: str, limit: float, **baseline: Any) -> Measure:
    """An absolute target (`figure < limit`), the baseline shown for scale only."""
    ratio = figure / baseline["baseline"] if baseline.get("baseline") else None
    return Measure(
        name,
        figure,
        unit,
        ratio=ratio,
        target=f"< {limit:g} {unit}",
        met=figure < limit,
        **baseline,
    )


def info(name: str, figure: float, unit: str, **baseline: Any) -> Measure:
    """A figure without a target, with its baseline when it has one."""
    ratio = figure / baseline["baseline"] if baseline.get("baseline") else None
    return Measure(name, figure, unit, ratio=ratio, **baseline)


def emit(measures: Iterable[Measure]) -> None:
    """Write the measures where the runner asked for them (nothing when run by hand)."""
    path = os.environ.get(OUT)
    measures = list(measures)
    if path and measures:  # a benchmark's helper processes inherit OUT and measure nothing
        Path(path).write_text(json.dumps([dataclasses.asdict(m) for m in measures]))


def load(path: Path, bench: str) -> list[Measure]:
    return [Measure(**(item | {"bench": bench})) for item in json.loads(path.read_text())]
