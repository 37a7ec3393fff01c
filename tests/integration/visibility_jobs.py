"""A Celery worker (two children) whose one job outlives the visibility timeout, for
`test_visibility.py`: `python -m tests.integration.visibility_jobs` with AIRLOCK_RESPONSE_*.

The job notes its start, waits for the test's go, then runs the real `transfer_export` flow.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from core.jobs import JobRegistry
from core.logging import configure_logging
from core.process import load_settings, run_celery
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context
from shared.exchange.export import export_all

registry = JobRegistry("visibility")


@registry.job("slow_export")
async def slow_export(runtime: ResponseRuntime, *, runs_file: str, go_file: str) -> None:
    with Path(runs_file).open("a") as runs:
        runs.write(f"start {os.getpid()}\n")
    # Outlives the visibility timeout: held here until the test saw the second delivery.
    while not Path(go_file).exists():
        await asyncio.sleep(0.05)
    results = await export_all(transfer_context(runtime))
    batches = sum(len(result.batches) for result in results)
    with Path(runs_file).open("a") as runs:
        runs.write(f"done {batches}\n")


if __name__ == "__main__":
    settings = load_settings(ResponseSettings)
    configure_logging(level="INFO", json=True, network="response")
    run_celery(
        ResponseRuntime.celery_app(settings, registry),
        ["worker", "--concurrency=2", "--loglevel=INFO", "-Q", "airlock.response"],
    )
