"""A Celery worker whose one job kills its worker process on every run (a poison message),
for `test_poison.py`: `python -m tests.integration.poison_jobs` with AIRLOCK_RESPONSE_*.

Its registry is this module's alone; the audit hook writes to the response network's table.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from core.audit import audit_given_up_jobs
from core.jobs import JobRegistry
from core.logging import configure_logging
from core.process import load_settings, run_celery
from core.runtime import Runtime
from response_network.audit.models import AuditEvent
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings

registry = JobRegistry("poison")


@registry.job("kill_worker")
async def kill_worker(runtime: Runtime[Any], *, runs_file: str) -> None:
    """Note the run, then die the way an out-of-memory kill or a crash in C does."""
    with Path(runs_file).open("a") as runs:
        runs.write(f"{os.getpid()}\n")
    os.kill(os.getpid(), signal.SIGKILL)


@registry.job("note")
async def note(runtime: Runtime[Any], *, runs_file: str) -> None:
    with Path(runs_file).open("a") as runs:
        runs.write("ran\n")


audit_given_up_jobs(registry, AuditEvent)

if __name__ == "__main__":
    settings = load_settings(ResponseSettings)
    configure_logging(level="INFO", json=True, network="response")
    run_celery(
        ResponseRuntime.celery_app(settings, registry),
        ["worker", "--concurrency=1", "--loglevel=INFO", "-Q", "airlock.response"],
    )
