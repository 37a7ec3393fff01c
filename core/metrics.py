"""Prometheus metrics: one registry per runtime, probes read at scrape time, multiprocess mode.

Counters and histograms live in the runtime's registry (so two networks can share one test
process). Values that are state rather than events (the oldest unanswered request, open
gaps) are read from the database when `/metrics` is scraped, by probes: they are right in
every process, whichever process changed the state. With `PROMETHEUS_MULTIPROC_DIR` set in
the environment of every process (API replicas, Celery workers), prometheus-client keeps
each process's values in files there and the exposition adds them up.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import socket
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
    values,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import QueryableAttribute

from core.db import utcnow
from core.errors import Unauthorized

__all__ = [
    "CONTENT_TYPE_LATEST",
    "OLDEST_UNANSWERED",
    "Exposition",
    "HttpMetrics",
    "JobMetrics",
    "Probe",
    "RateLimitMetrics",
    "ScrapeGuard",
    "metrics_for",
    "oldest_age_probe",
]

log = structlog.get_logger(__name__)

_HOST = (os.environ.get("HOSTNAME") or socket.gethostname()).replace("_", "-")


def process_identifier() -> str:
    """This process's name for its files in PROMETHEUS_MULTIPROC_DIR: its host and pid.

    prometheus-client names them by pid alone, but containers sharing the directory (API,
    worker and beat of a network, in compose) each number their processes from 1, and two
    processes writing one file lose each other's counts. No `_`: the file names use it as
    their separator.
    """
    return f"{_HOST}-{os.getpid()}"


def use_host_qualified_files() -> None:
    """Name this process's metric files by `process_identifier` (when PROMETHEUS_MULTIPROC_DIR
    is set); before any metric is made, which is why `core.metrics` calls it on import."""
    if getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue(process_identifier)  # type: ignore[no-untyped-call]


use_host_qualified_files()

Probe = Callable[[], Awaitable[Iterable[Metric]]]
"""Reads a value at scrape time (e.g. one cheap query) and returns its metric families."""

OLDEST_UNANSWERED = (
    "airlock_oldest_unanswered_request_age_seconds",
    "Seconds the oldest request not answered yet has waited (0: none waiting).",
)
"""Name and help of the oldest-request probe both networks declare (the same dashboards)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "airlock_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "airlock_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )

    def observe(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "airlock_job_runs_total",
            "Job runs by job and outcome (success, failure).",
            ["job", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "airlock_job_duration_seconds",
            "How long job runs take, failed ones included.",
            ["job"],
            registry=registry,
            buckets=JOB_BUCKETS,
        )
        self.given_up = Counter(
            "airlock_jobs_given_up_total",
            "Celery tasks dropped unrun after killing their worker on every delivery.",
            ["job"],
            registry=registry,
        )

    def observe(self, *, job: str, succeeded: bool, seconds: float) -> None:
        self.runs.labels(job, "success" if succeeded else "failure").inc()
        self.duration.labels(job).observe(seconds)


class RateLimitMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.rejections = Counter(
            "airlock_rate_limit_rejections_total",
            "Calls refused by a rate limit (429), by limit code and window.",
            ["limit", "window"],
            registry=registry,
        )


MetricsT = TypeVar("MetricsT")
_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, dict[type[Any], Any]] = (
    weakref.WeakKeyDictionary()
)
_by_registry_lock = threading.Lock()


def metrics_for(registry: CollectorRegistry, kind: type[MetricsT]) -> MetricsT:
    """The one `kind(registry)` of this registry: a metric registers once per registry."""
    with _by_registry_lock:
        built = _by_registry.setdefault(registry, {})
        if kind not in built:
            built[kind] = kind(registry)  # type: ignore[call-arg]
        instance: MetricsT = built[kind]
        return instance


def oldest_age_probe(
    name: str,
    documentation: str,
    *,
    session_factory: async_sessionmaker[AsyncSession],
    since: QueryableAttribute[datetime],
    where: ColumnElement[bool],
) -> Probe:
    """Seconds since the oldest `since` among rows matching `where` (0 when there are none).

    One `min()` that an index on (status, timestamp) answers without reading the rows.
    """

    async def measure() -> list[Metric]:
        async with session_factory() as session:
            oldest = await session.scalar(select(func.min(since)).where(where))
        age = 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
        return [GaugeMetricFamily(name, documentation, value=age)]

    return measure


class _Families:
    """A collector for families measured beforehand (probes are async, collectors are not)."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


class _ProbesOnLoop:
    """Runs the probes on the API's event loop for a scrape served by another thread."""

    def __init__(self, exposition: Exposition, loop: asyncio.AbstractEventLoop) -> None:
        self._exposition = exposition
        self._loop = loop

    def collect(self) -> Iterable[Metric]:
        future = asyncio.run_coroutine_threadsafe(self._exposition.measure(), self._loop)
        return future.result(self._exposition.probe_timeout + 1)


class Exposition:
    """What `/metrics` shows: the process's registry (or, in multiprocess mode, every
    process's files) plus the probes, measured at each scrape."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        probes: Sequence[Probe] = (),
        multiprocess_dir: Path | None = None,
        probe_timeout: float = 5.0,
    ) -> None:
        self.probes = list(probes)
        self.probe_timeout = probe_timeout
        self.base: Collector = registry
        self.multiprocess = False
        if multiprocess_dir is not None:
            # Only a process started with PROMETHEUS_MULTIPROC_DIR writes its values there.
            if getattr(values.ValueClass, "_multiprocess", False):
                multiprocess_dir.mkdir(parents=True, exist_ok=True)
                self.base = MultiProcessCollector(None, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
                self.multiprocess = True
            else:
                log.warning(
                    "metrics_multiprocess_ignored",
                    reason="PROMETHEUS_MULTIPROC_DIR was not in this process's environment "
                    "when it started",
                )

    async def measure(self) -> list[Metric]:
        """Every probe's families; a failing probe is logged and left out, never fatal."""
        families: list[Metric] = []
        for probe in self.probes:
            try:
                families.extend(await asyncio.wait_for(probe(), self.probe_timeout))
            except Exception as exc:
                log.warning("metrics_probe_failed", probe=_name(probe), error=type(exc).__name__)
        return families

    async def render(self) -> bytes:
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(self.base)
        scrape.register(_Families(await self.measure()))
        if self.multiprocess:  # reads one file per process: keep it off the event loop
            return await asyncio.to_thread(generate_latest, scrape)
        return generate_latest(scrape)

    def serve(self, *, host: str, port: int) -> Callable[[], None]:
        """Serve the metrics on their own port from a thread; returns what stops it."""
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(self.base)
        scrape.register(_ProbesOnLoop(self, asyncio.get_running_loop()))
        server, thread = start_http_server(port, addr=host, registry=scrape)
        log.info("metrics_serving", host=host, port=port)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop


class ScrapeGuard:
    """Who may scrape `/metrics` on the API's port: anyone, or only the bearer of the token.

    `required` without a token refuses every scrape (the exposed network's default).
    """

    def __init__(self, token: str, *, required: bool) -> None:
        self._token = token.encode()
        self.open = not token and not required

    def check(self, authorization: str | None) -> None:
        if self.open:
            return
        scheme, _, presented = (authorization or "").partition(" ")
        # compare_digest: the time taken does not tell how much of a guess was right.
        if (
            not self._token
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(presented.strip().encode(), self._token)
        ):
            raise Unauthorized(
                "scraping the metrics needs their token", code="unauthorized.metrics"
            )


def _name(probe: Probe) -> str:
    return str(getattr(probe, "__qualname__", probe))
