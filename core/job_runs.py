"""What each job did last: recorded around every run, read by the tasks overview.

Kept in the network's cache (Redis in production, so the API process sees what the Celery
workers ran; in-process embedded, where the API process runs the jobs itself). Two keys per
job: the last run, and the last failure (which a later success does not erase). Keys start
with `_`, the cache's bookkeeping prefix: cache statistics and clears leave them alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import structlog

from core.cache import Cache

log = structlog.get_logger(__name__)

ERROR_CHARS = 300
"""An error is kept as one line of at most this many characters."""

RECORD_TTL_SECONDS = 30 * 86_400.0
"""A record outlives its job's last run by this long: a removed job's record fades away."""

_LAST_RUN = "_jobs:last:"
_LAST_FAILURE = "_jobs:failed:"


@dataclass(frozen=True)
class JobRun:
    started_at: datetime
    seconds: float
    outcome: str
    """`ok`, `failed` or `given_up` (a Celery task that killed its worker on every delivery)."""
    error: str | None = None


@dataclass(frozen=True)
class JobHistory:
    last_run: JobRun | None
    last_failure: JobRun | None


def error_line(error: BaseException | str) -> str:
    """`Type: message`, first line only, at most `ERROR_CHARS` characters."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


def _encode(run: JobRun) -> bytes:
    return json.dumps({**asdict(run), "started_at": run.started_at.isoformat()}).encode()


def _decode(value: bytes | None) -> JobRun | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
        return JobRun(
            started_at=datetime.fromisoformat(data["started_at"]),
            seconds=float(data["seconds"]),
            outcome=str(data["outcome"]),
            error=data.get("error"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a record from another version reads as "never ran", not as an error


async def record_job_run(cache: Cache, job: str, run: JobRun) -> None:
    """Store `run` as the job's last (and, if it failed, last failed) run; never raises:
    a job's outcome must not depend on whether its bookkeeping could be written."""
    value = _encode(run)
    try:
        await cache.set(_LAST_RUN + job, value, ttl=RECORD_TTL_SECONDS)
        if run.outcome != "ok":
            await cache.set(_LAST_FAILURE + job, value, ttl=RECORD_TTL_SECONDS)
    except Exception as exc:
        log.warning("job_run_not_recorded", job=job, error=type(exc).__name__)


async def job_history(cache: Cache, job: str) -> JobHistory:
    return JobHistory(
        last_run=_decode(await cache.peek(_LAST_RUN + job)),
        last_failure=_decode(await cache.peek(_LAST_FAILURE + job)),
    )
