"""Outages of a backend (the database, Redis): what they look like, and how long to wait.

A job that fails because a backend is down is retried with a growing delay (`Backoff`);
any other failure is a bug or bad data, which running again at once would not fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from core.cache import UNREACHABLE


def is_outage(exc: BaseException) -> bool:
    """True if `exc` says a backend is unreachable rather than that the work was wrong."""
    if isinstance(exc, (*UNREACHABLE, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        # A dropped connection, or a server that refuses connections while it starts or
        # stops (asyncpg's CannotConnectNowError, SQLSTATE 57P03).
        return bool(exc.connection_invalidated) or _sqlstate(exc.orig) in OUTAGE_SQLSTATES
    return False


OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006"})
"""admin/crash shutdown, cannot connect now, and the connection exceptions."""


def _sqlstate(orig: BaseException | None) -> str | None:
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before retry number `attempt` (1, 2, ...): doubling from `first`,
    never more than `most`."""

    first: float = 1.0
    most: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.most, self.first * 2.0 ** max(0, attempt - 1)))


DEFAULT_BACKOFF = Backoff()

OUTAGE_RETRIES = 10
"""Retries of an enqueued job that fails on an outage (about 3 minutes with the default
backoff); the scheduled jobs run again at their next tick in any case."""
