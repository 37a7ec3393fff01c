"""Submission rate limits: the user's profile windows, with the user's own overrides on top.

Profile `limits`: `{"minute": {"soft": 10, "hard": 20}, ...}` for minute, hour, day, month.
`user.limit_overrides` may replace a window: `{"minute": {"soft": 5, "hard": 8}}`, or give a
bare number for the hard limit (`{"day": 500}` or `{"per_day": 500}`; the soft limit then
stays the profile's, capped at the new hard limit). A window with no limit is not limited.
"""

from __future__ import annotations

from typing import Any

from core.errors import RateLimited
from core.ratelimit import RateDecision, RateLimiter, Window
from request_network.catalog.models import Profile
from request_network.users.models import User

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400, "month": 30 * 86_400}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _override(overrides: dict[str, Any], name: str) -> Any:
    return overrides.get(name, overrides.get(f"per_{name}"))


def submission_windows(profile: Profile | None, user: User) -> list[Window]:
    """The windows limiting `user`'s submissions, shortest first."""
    limits = profile.limits if profile is not None else {}
    overrides = user.limit_overrides or {}
    windows: list[Window] = []
    for name, seconds in WINDOW_SECONDS.items():
        configured = limits.get(name)
        base: dict[str, Any] = configured if isinstance(configured, dict) else {}
        hard, soft = _as_int(base.get("hard")), _as_int(base.get("soft"))
        override = _override(overrides, name)
        if isinstance(override, dict):
            hard, soft = _as_int(override.get("hard")), _as_int(override.get("soft"))
        elif _as_int(override) is not None:
            hard = _as_int(override)
        if hard is None:
            continue
        windows.append(Window(name, seconds, hard, None if soft is None else min(soft, hard)))
    return windows


async def admit_submission(
    *, limiter: RateLimiter, profile: Profile | None, user: User
) -> RateDecision:
    """Count one submission for `user`; `RateLimited` (429, with headers) past a hard limit."""
    decision = await limiter.hit(f"submit:{user.id}", submission_windows(profile, user))
    if not decision.allowed:
        refused = decision.refused_by.name if decision.refused_by else "window"
        raise RateLimited(
            f"too many submissions this {refused}; retry in {decision.retry_after} s",
            code="rate_limited",
            headers=decision.headers(),
            extra={"window": refused},
        )
    return decision
