"""Submission rate limits: the profile's windows (with the user's overrides), per-type windows
from the profile and the user's grant, counted in one limiter call; reading and resetting them.

Profile `limits`: `{"minute": {"soft": 10, "hard": 20}, ...}` for minute, hour, day, month.
`user.limit_overrides` may replace a window: `{"minute": {"soft": 5, "hard": 8}}`, or give a
bare number for the hard limit (`{"day": 500}` or `{"per_day": 500}`; the soft limit then
stays the profile's, capped at the new hard limit). A window with no limit is not limited.

Per request type, the profile's `type_limits[type]` and the user's active grant's `limits` (same
shape) are counted for that type on top of the global windows; where both set a window, the
tighter hard and soft apply.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.db import after_commit
from core.errors import NotFound, RateLimited
from core.ratelimit import RateDecision, RateLimiter, Window, WindowUsage
from request_network.audit.models import AuditEvent
from request_network.catalog.cache import CatalogView, load_grants
from request_network.catalog.models import Profile
from request_network.catalog.service import user_profile
from request_network.users.models import User

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400, "month": 30 * 86_400}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _override(overrides: dict[str, Any], name: str) -> Any:
    return overrides.get(name, overrides.get(f"per_{name}"))


def _subject(user_id: uuid.UUID) -> str:
    return f"submit:{user_id}"


def submission_windows(profile: Profile | None, user: User) -> list[Window]:
    """The windows limiting all of `user`'s submissions, shortest first."""
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


def type_windows(request_type: str, sources: Iterable[Mapping[str, Any] | None]) -> list[Window]:
    """The windows of `request_type` from each source's `{window: {soft, hard}}` (the
    profile's `type_limits[request_type]`, a grant's `limits`): per window the tighter."""
    given = [source for source in sources if isinstance(source, Mapping)]
    windows: list[Window] = []
    for name, seconds in WINDOW_SECONDS.items():
        found = [limit for source in given if isinstance(limit := source.get(name), Mapping)]
        hards = [h for limit in found if (h := _as_int(limit.get("hard"))) is not None]
        if not hards:
            continue
        softs = [s for limit in found if (s := _as_int(limit.get("soft"))) is not None]
        hard = min(hards)
        soft = min(min(softs), hard) if softs else None
        windows.append(Window(name, seconds, hard, soft, group=request_type))
    return windows


async def _grant_limits(
    session: AsyncSession, user_id: uuid.UUID
) -> Mapping[str, tuple[Mapping[str, Any], ...]]:
    """Per request type, the limits of the user's active grants that carry some."""
    return (await load_grants(session, user_id)).limits


def _profile_type_limits(profile: Profile | None, request_type: str) -> Any:
    type_limits = profile.type_limits if profile is not None else None
    return type_limits.get(request_type) if isinstance(type_limits, dict) else None


async def admit_submission(
    *,
    catalog: CatalogView,
    limiter: RateLimiter,
    profile: Profile | None,
    user: User,
    request_type: str,
) -> RateDecision:
    """Count one submission of `request_type` for `user` in every window that applies, in
    one limiter call; `RateLimited` (429, with headers) past a hard limit, counting nothing."""
    grants = (await catalog.grants(user.id)).limits.get(request_type, ())
    windows = submission_windows(profile, user) + type_windows(
        request_type, [_profile_type_limits(profile, request_type), *grants]
    )
    decision = await limiter.hit(_subject(user.id), windows)
    if not decision.allowed:
        refused = decision.refused_by
        window = refused.name if refused else "window"
        group = refused.group if refused else None
        where = f"submissions of {group!r}" if group else "submissions"
        raise RateLimited(
            f"too many {where} this {window}; retry in {decision.retry_after} s",
            code="rate_limited",
            headers=decision.headers(),
            extra={"window": window, "request_type": group},
        )
    return decision


@dataclass(frozen=True)
class Quota:
    """A user's limits as they stand: the global windows, then per request type."""

    user: User
    profile: str
    windows: tuple[WindowUsage, ...]
    request_types: dict[str, tuple[WindowUsage, ...]]


async def read_limits(*, session: AsyncSession, limiter: RateLimiter, user: User) -> Quota:
    """What `user` may still submit in each window, global and per type; counts nothing."""
    profile = await user_profile(session=session, user=user)
    grants = await _grant_limits(session, user.id)
    names = set(grants) | set(profile.type_limits if profile is not None else {})
    per_type = {
        name: type_windows(name, [_profile_type_limits(profile, name), *grants.get(name, ())])
        for name in sorted(names)
    }
    windows = submission_windows(profile, user)
    every = windows + [w for group in per_type.values() for w in group]
    usage = await limiter.usage(_subject(user.id), every)
    by_window = dict(zip(every, usage, strict=True))
    return Quota(
        user=user,
        profile=user.profile,
        windows=tuple(by_window[w] for w in windows),
        request_types={
            name: tuple(by_window[w] for w in group) for name, group in per_type.items() if group
        },
    )


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", code="not_found.user")
    return user


async def read_user_limits(
    *, session: AsyncSession, limiter: RateLimiter, user_id: uuid.UUID
) -> Quota:
    """`read_limits` for any user (admins); `not_found.user` for an unknown id."""
    return await read_limits(session=session, limiter=limiter, user=await _user(session, user_id))


async def reset_limits(
    *, session: AsyncSession, limiter: RateLimiter, user_id: uuid.UUID, actor: Actor
) -> None:
    """Forget every counted submission of the user, in every window and type (audited as
    `limits.reset`); the counts go once the audit event is committed."""
    user = await _user(session, user_id)
    record_audit(
        session=session,
        model=AuditEvent,
        actor=actor,
        action="limits.reset",
        object_type="user",
        object_id=user.id,
        details={"username": user.username},
    )

    async def forget() -> None:
        await limiter.reset(_subject(user.id))

    after_commit(session, forget)
