"""The runtime every network extends: what both build once per runtime, typed."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar, TypeVar

from core.revocation import TokenRevocations, build_revocations
from core.runtime import Runtime
from shared.exchange.context import TransferMetrics
from shared.platform.alerts.metrics import AlertMetrics
from shared.platform.settings import PlatformSettings

SettingsT = TypeVar("SettingsT", bound=PlatformSettings)


class NetworkRuntime(Runtime[SettingsT]):
    """Metrics are built once per runtime: its registry refuses a second registration of
    their names."""

    revoked_tokens: ClassVar[type[Any]]
    """The network's table of logged-out tokens (embedded mode keeps them there)."""

    @cached_property
    def revocations(self) -> TokenRevocations:
        """The logged-out tokens (Redis in production, a table embedded), built on first use."""
        return build_revocations(
            cache=self.cache,
            shared_cache=self.redis is not None,
            model=self.revoked_tokens,
            session_factory=self.session_factory,
        )

    @cached_property
    def transfer_metrics(self) -> TransferMetrics:
        return TransferMetrics(self.metrics_registry)

    @cached_property
    def alert_metrics(self) -> AlertMetrics:
        return AlertMetrics(self.metrics_registry)


RuntimeT = TypeVar("RuntimeT", bound=NetworkRuntime[Any])
"""A network's runtime, in code that hands it back to the network (its transfer context)."""
