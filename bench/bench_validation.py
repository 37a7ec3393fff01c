"""Cost of checking a submission's parameters against its type's schema, new engine and old.

    .venv/bin/python -m bench.bench_validation [--calls 2000]

`shared.parameters.check_parameters` (jsonschema-rs behind the definition-time limits) next
to `orjson.loads` of the same parameters, measured in the same run (the ratio says how many
JSON parses a check costs), and next to the previous engine (python-jsonschema with
`best_match`) on the same inputs: a typical small form, the 1,500-object `uniqueItems`
submission of issue 12, a backtracking `pattern`, and the widest schema the limits let
through. Also the definition-time check of a typical schema (cold: walk + compile). Asserts
nothing; about 10 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from jsonschema import FormatChecker
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from bench.report import Measure, emit, info
from core.errors import Invalid
from shared import parameters as new

FORM = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": "^[A-Za-z -]+$"},
        "date": {"type": "string", "format": "date"},
        "filters": {
            "type": "object",
            "properties": {
                "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
                "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3},
            },
            "additionalProperties": False,
        },
    },
    "required": ["city"],
    "additionalProperties": False,
}
FORM_PARAMETERS = {"city": "Oslo", "date": "2026-12-04", "filters": {"year": 2020, "tags": ["a"]}}
UNIQUE = {"type": "object", "properties": {"xs": {"type": "array", "uniqueItems": True}}}
UNIQUE_PARAMETERS = {"xs": [{"n": i} for i in range(1500)]}
WIDEST = {
    "type": "object",
    "properties": {"xs": {"items": {"allOf": [{"type": "integer", "minimum": 0}] * 497}}},
}
"""At the expansion limit, every subschema applying to every element: the worst an admin can
write; the user then picks the parameters."""
WIDEST_PARAMETERS = {"xs": [1] * 8000}
BACKTRACKING = {"type": "object", "properties": {"w": {"type": "string", "pattern": "^(a+)+$"}}}


def old_check(schema: dict[str, Any], parameters: dict[str, Any]) -> None:
    """The check as it was: python-jsonschema, every error, the best one raised."""
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    if best_match(validator.iter_errors(parameters)) is not None:
        raise Invalid("refused", code="invalid.parameters")


def new_check(schema: dict[str, Any], parameters: dict[str, Any]) -> None:
    new.check_parameters(schema, parameters)


def per_call_us(calls: int, call: Callable[[], object]) -> float:
    """Median microseconds of one call, over `calls` after a short warm-up."""
    for _ in range(min(20, calls)):
        call()
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def refused(check: Callable[[], None]) -> None:
    try:
        check()
    except Invalid:
        return


def main(calls: int) -> list[Measure]:
    text = orjson.dumps(FORM_PARAMETERS)
    baseline = per_call_us(calls, lambda: orjson.loads(text))
    print(f"baseline: orjson.loads of the form ({len(text)} B)     {baseline:9.2f} us")
    typical = 0.0
    for name, check in (("new", new_check), ("old", old_check)):
        cost = per_call_us(calls, partial(check, FORM, FORM_PARAMETERS))
        typical = typical or cost
        print(
            f"{name}: typical form valid                    {cost:9.2f} us  x{cost / baseline:.0f}"
        )

    size = len(orjson.dumps(UNIQUE_PARAMETERS))
    cost_new = per_call_us(20, lambda: new_check(UNIQUE, UNIQUE_PARAMETERS))
    cost_old = per_call_us(1, lambda: old_check(UNIQUE, UNIQUE_PARAMETERS))
    print(
        f"uniqueItems, 1,500 objects ({size} B): new {cost_new / 1000:8.2f} ms   "
        f"old {cost_old / 1000:8.1f} ms   old/new x{cost_old / cost_new:.0f}"
    )

    word = "a" * 40 + "!"
    cost_new = per_call_us(calls, lambda: refused(lambda: new_check(BACKTRACKING, {"w": word})))
    print(f"^(a+)+$ on 40 a's and '!', new (refused)        {cost_new:9.2f} us")
    for length in (18, 20, 22):
        probe = "a" * length + "!"
        cost = per_call_us(1, partial(re.search, "^(a+)+$", probe))
        print(f"  old engine (re) on {length} a's: {cost / 1000:8.1f} ms (x2 per 'a': 40 is hours)")

    size = len(orjson.dumps(WIDEST_PARAMETERS))
    cost = per_call_us(5, lambda: new_check(WIDEST, WIDEST_PARAMETERS))
    print(f"worst schema allowed (500 subschemas, all applying) x {size} B: {cost / 1000:.1f} ms")

    new._validator_of.cache_clear()
    cold = per_call_us(1, lambda: new.check_parameter_schema(FORM))
    print(f"definition check of the form schema (cold: walk + compile) {cold:9.1f} us")
    return [
        info(
            "parameters check, typical form",
            typical,
            "us",
            baseline=baseline,
            baseline_name="orjson.loads",
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    emit(main(parser.parse_args().calls))
