"""The settings every network has on the platform: its own (`core`), the transfer's, the
alerts' and the login throttle's. Each network's settings class subclasses them."""

from __future__ import annotations

from shared.exchange.settings import TransferNetworkSettings
from shared.platform.alerts.settings import AlertSettings
from shared.platform.login_settings import LoginSettings


class PlatformSettings(TransferNetworkSettings, AlertSettings, LoginSettings):
    pass
