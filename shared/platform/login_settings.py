"""The login throttle's settings; each network's settings class inherits them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from core.security import ThrottlePolicy


class LoginSettings(BaseSettings):
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    """Tries of one username from one address before each further try must wait its turn."""
    login_delay_seconds: float = Field(default=1.0, gt=0, le=3600)
    """The first wait (after the `login_max_failures`-th try); each later failure doubles it."""
    login_max_delay_minutes: float = Field(default=15, gt=0, le=1440)
    """The longest wait between two tries of one username from one address."""
    login_address_max_failures: int = Field(default=100, ge=1, le=1_000_000)
    """Failed logins from one address, any usernames, after which that address is refused
    until its window ends (high enough for an office behind one NAT address)."""
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    """How long failures are counted, from the first: per (username, address) and per address."""

    @property
    def login_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            max_failures=self.login_max_failures,
            delay=self.login_delay_seconds,
            max_delay=self.login_max_delay_minutes * 60,
            address_max_failures=self.login_address_max_failures,
            window=self.login_window_minutes * 60,
        )
