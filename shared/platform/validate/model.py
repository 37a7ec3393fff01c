"""What one network's validation works with: the names of the checks, the network it checks
(`Target`), one check's outcome (`Check`, printed as one line) and the report a network's
`validate --json` sends back (`NetworkReport`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.heartbeat import WorkerHeartbeatMixin
from core.jobs import JobRegistry
from shared.exchange.settings import TransferNetworkSettings

CHECKS = ("api", "ready", "clock", "migrations", "redis", "workers", "jobs", "transfer", "keys")


@dataclass(frozen=True)
class Check:
    network: str
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.network} {self.name}: {self.detail}"
        return text if self.ok else f"{text} - fix: {self.fix}"


@dataclass
class NetworkReport:
    network: str
    checks: list[Check] = field(default_factory=list)
    public_key: str | None = None
    """This network's public key, derived from its signing key."""
    peer_public_key: str | None = None
    peer_key_path: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkReport:
        checks = [Check(**check) for check in data.pop("checks")]
        return cls(checks=checks, **data)


@dataclass(frozen=True)
class Target:
    """One network as its own process sees it."""

    settings: TransferNetworkSettings
    migrations: Path
    heartbeats: type[WorkerHeartbeatMixin]
    registry: JobRegistry
    api_url: str
    min_free_bytes: int
