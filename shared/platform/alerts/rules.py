"""The rules: pure functions from what was observed to the problems found.

Each finding names a rule and a subject (a stream, a file, `workers`, `http`); evaluation
keeps one open alert per (rule, subject) for as long as the finding comes back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.exchange.files import QuarantineReason
from shared.platform.alerts.models import Severity
from shared.platform.alerts.settings import AlertSettings


class Rule(enum.StrEnum):
    STREAM_LAG = "stream_lag"
    STREAM_BLOCKED = "stream_blocked"
    QUARANTINE = "quarantine"
    GAP = "gap"
    WORKER_HEARTBEAT = "worker_heartbeat"
    TRANSFER_DISK = "transfer_disk"
    ERROR_RATE = "error_rate"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    subject: str
    severity: Severity
    summary: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Unacknowledged:
    stream: str
    batches: int
    oldest_created_at: datetime


@dataclass(frozen=True)
class InboundLag:
    stream: str
    sequence: int
    lag_seconds: float


@dataclass(frozen=True)
class HeldImport:
    """An inbound stream's import lock, held since `since` (by this process or another)."""

    stream: str
    since: datetime


@dataclass(frozen=True)
class OpenGaps:
    stream: str
    count: int
    first: int
    last: int
    oldest_noticed_at: datetime


@dataclass(frozen=True)
class Heartbeat:
    worker: str
    last_seen_at: datetime


@dataclass(frozen=True)
class DiskUsage:
    path: str
    used: int
    free: int

    @property
    def ratio(self) -> float:
        """Used over usable, as `df` counts it (blocks reserved for root left out)."""
        usable = self.used + self.free
        return self.used / usable if usable else 0.0


@dataclass(frozen=True)
class HttpOutcomes:
    requests: int
    errors: int
    window_minutes: int


@dataclass
class Observations:
    at: datetime
    production: bool
    unacknowledged: list[Unacknowledged] = field(default_factory=list)
    inbound_lag: list[InboundLag] = field(default_factory=list)
    gaps: list[OpenGaps] = field(default_factory=list)
    held_imports: list[HeldImport] = field(default_factory=list)
    quarantined: list[QuarantineReason] = field(default_factory=list)
    heartbeat: Heartbeat | None = None
    disk: DiskUsage | None = None
    http: HttpOutcomes | None = None


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def stream_lag(seen: Observations, settings: AlertSettings) -> list[Finding]:
    limit = timedelta(minutes=settings.alert_stream_lag_minutes)
    findings = [
        Finding(
            Rule.STREAM_LAG,
            f"outbound/{item.stream}",
            Severity.WARNING,
            f"{item.batches} batch(es) of stream {item.stream} not acknowledged by the peer "
            f"for {_minutes(seen.at - item.oldest_created_at)} min",
            {
                "direction": "outbound",
                "stream": item.stream,
                "unacknowledged": item.batches,
                "oldest_created_at": item.oldest_created_at.isoformat(),
            },
        )
        for item in seen.unacknowledged
        if seen.at - item.oldest_created_at > limit
    ]
    findings += [
        Finding(
            Rule.STREAM_LAG,
            f"inbound/{item.stream}",
            Severity.WARNING,
            f"the newest batch of stream {item.stream} arrived "
            f"{_minutes(timedelta(seconds=item.lag_seconds))} min after the peer wrote it",
            {
                "direction": "inbound",
                "stream": item.stream,
                "sequence": item.sequence,
                "lag_seconds": round(item.lag_seconds, 1),
            },
        )
        for item in seen.inbound_lag
        if item.lag_seconds > limit.total_seconds()
    ]
    return findings


def stream_blocked(seen: Observations, settings: AlertSettings) -> list[Finding]:
    # A live importer renews its lock while it works; held this long, it is stuck (or a
    # backlog this big keeps the stream behind it): either way its batches wait.
    limit = timedelta(minutes=settings.alert_stream_blocked_minutes)
    return [
        Finding(
            Rule.STREAM_BLOCKED,
            item.stream,
            Severity.WARNING,
            f"the import of stream {item.stream} has been held by one importer for "
            f"{_minutes(seen.at - item.since)} min; other importers skip it",
            {"stream": item.stream, "held_since": item.since.isoformat()},
        )
        for item in seen.held_imports
        if seen.at - item.since > limit
    ]


def quarantine(seen: Observations, _settings: AlertSettings) -> list[Finding]:
    return [
        Finding(
            Rule.QUARANTINE,
            reason.file,
            Severity.CRITICAL,
            f"batch {reason.file} quarantined ({reason.code}): {reason.detail}",
            {
                "file": reason.file,
                "code": reason.code,
                "check": reason.check,
                "detail": reason.detail[:1000],
                "quarantined_at": reason.at.isoformat(),
            },
        )
        for reason in seen.quarantined
    ]


def gap(seen: Observations, settings: AlertSettings) -> list[Finding]:
    limit = timedelta(minutes=settings.alert_gap_minutes)
    return [
        Finding(
            Rule.GAP,
            item.stream,
            Severity.WARNING,
            f"{item.count} sequence(s) of stream {item.stream} missing, the oldest for "
            f"{_minutes(seen.at - item.oldest_noticed_at)} min",
            {
                "stream": item.stream,
                "missing": item.count,
                "first": item.first,
                "last": item.last,
                "oldest_noticed_at": item.oldest_noticed_at.isoformat(),
            },
        )
        for item in seen.gaps
        if seen.at - item.oldest_noticed_at > limit
    ]


def worker_heartbeat(seen: Observations, settings: AlertSettings) -> list[Finding]:
    # Embedded: the API process runs the jobs itself, so a live API is a live worker. No
    # heartbeat at all: a fresh deployment whose first heartbeat is still to come.
    beat = seen.heartbeat
    if not seen.production or beat is None:
        return []
    if seen.at - beat.last_seen_at <= timedelta(minutes=settings.alert_heartbeat_minutes):
        return []
    return [
        Finding(
            Rule.WORKER_HEARTBEAT,
            "workers",
            Severity.CRITICAL,
            f"no worker heartbeat for {_minutes(seen.at - beat.last_seen_at)} min",
            {"last_worker": beat.worker, "last_seen_at": beat.last_seen_at.isoformat()},
        )
    ]


def transfer_disk(seen: Observations, settings: AlertSettings) -> list[Finding]:
    disk = seen.disk
    if disk is None or disk.ratio <= settings.alert_disk_used_ratio:
        return []
    return [
        Finding(
            Rule.TRANSFER_DISK,
            disk.path,
            Severity.CRITICAL,
            f"the transfer directory's file system is {disk.ratio:.1%} full",
            {
                "path": disk.path,
                "used_ratio": round(disk.ratio, 4),
                "free_bytes": disk.free,
                "threshold": settings.alert_disk_used_ratio,
            },
        )
    ]


def error_rate(seen: Observations, settings: AlertSettings) -> list[Finding]:
    http = seen.http
    if http is None or http.requests < settings.alert_error_rate_min_requests:
        return []
    rate = http.errors / http.requests
    if rate <= settings.alert_error_rate:
        return []
    return [
        Finding(
            Rule.ERROR_RATE,
            "http",
            Severity.WARNING,
            f"{http.errors} of {http.requests} HTTP answers were 5xx in the last "
            f"{http.window_minutes} min ({rate:.1%})",
            {
                "requests": http.requests,
                "errors": http.errors,
                "rate": round(rate, 4),
                "window_minutes": http.window_minutes,
                "threshold": settings.alert_error_rate,
            },
        )
    ]


RULES = (stream_lag, stream_blocked, quarantine, gap, worker_heartbeat, transfer_disk, error_rate)


def find_problems(seen: Observations, settings: AlertSettings) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(seen, settings)]
