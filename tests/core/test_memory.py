"""The collector threshold is raised only while bulk work runs, and always restored."""

from __future__ import annotations

import gc

import pytest

from core.memory import bulk_allocations


def test_threshold_is_raised_inside_and_restored_after_even_on_error() -> None:
    before = gc.get_threshold()
    seen: list[int] = []

    def failing_import() -> None:
        with bulk_allocations():
            seen.append(gc.get_threshold()[0])
            with bulk_allocations():  # nested: still raised
                seen.append(gc.get_threshold()[0])
            seen.append(gc.get_threshold()[0])
            raise RuntimeError("import failed")

    with pytest.raises(RuntimeError):
        failing_import()
    assert min(seen) >= 50_000
    assert gc.get_threshold() == before
