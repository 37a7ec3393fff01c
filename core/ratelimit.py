"""Rate limits over several windows at once: a sliding log per subject and group.

Every admission of a subject is one timestamped entry in a log (a Redis sorted set in
production, a sorted list in process); a window's count is the entries younger than the window.
One log serves every window of a group (the windows count the same admissions), so a check of
any number of windows and groups is one atomic step: one Lua script (`EVALSHA`) on Redis,
under an asyncio lock in process. It reads every window, refuses without counting anything if
one is full, else counts in all: racing callers never get more than a hard limit between them.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import structlog
from redis.asyncio import Redis

from core.cache import UNREACHABLE
from core.errors import UNAVAILABLE_RETRY_AFTER, Unavailable

log = structlog.get_logger(__name__)

_MILLI = 1000
"""Log times are milliseconds: Lua formats numbers with 14 digits, enough for those."""
_SWEEP_EVERY = 1024
"""In process, quiet subjects' logs are dropped once per this many admissions."""


@dataclass(frozen=True)
class Window:
    """`hard` admissions per `seconds`; past `soft` the caller is only warned.

    `group` names a part of the subject's traffic counted apart (None: all of it): the
    windows of one group share one log, counted on every check that names the group.
    """

    name: str
    seconds: int
    hard: int
    soft: int | None = None
    group: str | None = None

    @property
    def label(self) -> str:
        """`minute`, or `group/minute` for a grouped window (headers and warnings)."""
        return self.name if self.group is None else f"{self.group}/{self.name}"


@dataclass(frozen=True)
class WindowUsage:
    window: Window
    used: int
    reset_after: float | None
    """Seconds until the window frees its oldest counted admission (0: nothing counted).
    None when not read: an admission reads it for the tightest window only (the headers')."""
    retry_after: float = 0.0
    """Seconds until one more admission fits (0: room now)."""

    @property
    def remaining(self) -> int:
        return max(0, self.window.hard - self.used)

    @property
    def past_soft(self) -> bool:
        return self.window.soft is not None and self.used > self.window.soft


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    usage: tuple[WindowUsage, ...]
    refused_by: Window | None = None

    @property
    def warnings(self) -> list[str]:
        return [item.window.label for item in self.usage if item.past_soft]

    @property
    def tightest(self) -> WindowUsage | None:
        """The refusing window, else the one with the least room left (the shorter on a tie)."""
        if self.refused_by is not None:
            return next(item for item in self.usage if item.window == self.refused_by)
        if not self.usage:
            return None
        return min(self.usage, key=lambda item: (item.remaining, item.window.seconds))

    @property
    def retry_after(self) -> int:
        tightest = self.tightest
        return max(1, math.ceil(tightest.retry_after)) if tightest is not None else 1

    def headers(self) -> dict[str, str]:
        """IETF httpapi `RateLimit-Policy` / `RateLimit`, the older trio, warnings, Retry-After.

        The reset (`t`, `RateLimit-Reset`) is when the tightest window frees its oldest
        counted admission; on a refusal, when one more fits (as `Retry-After`).
        """
        tightest = self.tightest
        if tightest is None:
            return {}
        remaining = tightest.remaining
        reset = self.retry_after if not self.allowed else math.ceil(tightest.reset_after or 0)
        headers = {
            "RateLimit-Policy": ", ".join(
                f'"{item.window.label}";q={item.window.hard};w={item.window.seconds}'
                for item in self.usage
            ),
            "RateLimit": f'"{tightest.window.label}";r={remaining};t={reset}',
            "RateLimit-Limit": str(tightest.window.hard),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }
        if self.warnings:
            headers["X-RateLimit-Warning"] = ", ".join(self.warnings)
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Count(NamedTuple):
    """One window as the storage saw it, times in milliseconds of the storage's clock."""

    used: int
    oldest: int | None
    frees_room_at: int | None
    oldest_read: bool = True


class _Storage(Protocol):
    async def check(
        self, subject: str, windows: Sequence[Window], *, count: bool
    ) -> tuple[int, bool, list[_Count]]:
        """(now, whether it counted, per window): with `count`, one admission is counted in
        every window if every window had room; nothing is written otherwise."""

    async def forget(self, subject: str) -> None: ...


def _seconds_until(at: int | None, now: int, window: Window) -> float:
    """Seconds until an admission counted at `at` leaves `window` (0 for none)."""
    return 0.0 if at is None else max(0.0, (at - now) / _MILLI + window.seconds)


def _usage(window: Window, found: _Count, now: int) -> WindowUsage:
    retry = _seconds_until(found.frees_room_at, now, window)
    if found.used >= window.hard and found.frees_room_at is None:
        retry = float(window.seconds)  # a hard limit of 0: no room is ever freed
    reset = _seconds_until(found.oldest, now, window) if found.oldest_read else None
    return WindowUsage(window, found.used, reset, retry)


def _decide(
    windows: Sequence[Window], now: int, counts: list[_Count], counted: bool
) -> RateDecision:
    usage = tuple(_usage(window, found, now) for window, found in zip(windows, counts, strict=True))
    if counted:
        return RateDecision(True, usage)
    full = [item for item in usage if item.used >= item.window.hard]
    if not full:
        return RateDecision(True, usage)
    # Several full windows: the one that frees room last is what a retry must wait for.
    refusing = max(full, key=lambda item: (item.retry_after, -item.window.seconds))
    return RateDecision(False, usage, refusing.window)


class RateLimiter:
    """Counts admissions per subject in every window it is given; built once per app.

    While the storage (Redis) is unreachable, `hit` admits uncounted if `fail_open`, else
    refuses with 503 `unavailable.rate_limit`.
    """

    def __init__(self, storage: _Storage, *, fail_open: bool = False) -> None:
        self._storage = storage
        self._fail_open = fail_open

    async def hit(self, subject: str, windows: Sequence[Window]) -> RateDecision:
        """Admit one more for `subject` if every window has room, counting it in all of them;
        a refused attempt counts nowhere (it must not eat a longer window's quota)."""
        if not windows:
            return RateDecision(True, ())
        try:
            now, counted, counts = await self._storage.check(subject, windows, count=True)
        except UNREACHABLE as exc:
            log.warning("rate_limit_unchecked", fail_open=self._fail_open, error=type(exc).__name__)
            if self._fail_open:
                return RateDecision(True, ())
            raise Unavailable(
                "rate limits cannot be checked right now; retry shortly",
                code="unavailable.rate_limit",
                headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
            ) from exc
        return _decide(windows, now, counts, counted)

    async def usage(self, subject: str, windows: Sequence[Window]) -> tuple[WindowUsage, ...]:
        """What `subject` has used in each window; counts nothing."""
        if not windows:
            return ()
        now, _, counts = await self._storage.check(subject, windows, count=False)
        return _decide(windows, now, counts, False).usage

    async def reset(self, subject: str) -> None:
        """Forget every admission of `subject`, in every window and group."""
        await self._storage.forget(subject)


# In process ----------------------------------------------------------------------------------


class MemoryStorage:
    """The embedded mode's logs: a sorted list of admission times per (subject, group)."""

    def __init__(self) -> None:
        self._logs: dict[tuple[str, str | None], list[int]] = {}
        self._expires: dict[tuple[str, str | None], int] = {}
        """When each log holds nothing any more (as a Redis key's expiry)."""
        self._lock = asyncio.Lock()
        self._last = 0
        self._counted = 0

    async def check(
        self, subject: str, windows: Sequence[Window], *, count: bool
    ) -> tuple[int, bool, list[_Count]]:
        async with self._lock:
            # Never backwards, so each log stays sorted whatever the wall clock does.
            now = self._last = max(self._last, time.time_ns() // 1_000_000)
            logs = {w.group: self._logs.get((subject, w.group), []) for w in windows}
            counts = [_count(logs[w.group], w, now) for w in windows]
            room = all(found.used < w.hard for w, found in zip(windows, counts, strict=True))
            if not (count and room):
                return now, False, counts
            longest: dict[str | None, int] = {}
            for w in windows:
                longest[w.group] = max(longest.get(w.group, 0), w.seconds)
            for group, log in logs.items():
                expired = bisect.bisect_right(log, now - longest[group] * _MILLI)
                # Trimmed in bulk: deleting the head of a list moves the rest.
                if expired > 256 or expired * 2 > len(log):
                    del log[:expired]
                log.append(now)
                self._logs[(subject, group)] = log
                self._expires[(subject, group)] = now + longest[group] * _MILLI
            self._counted += 1
            if self._counted % _SWEEP_EVERY == 0:
                self._sweep(now)
            return now, True, [_count(logs[w.group], w, now) for w in windows]

    def _sweep(self, now: int) -> None:
        """Drop the logs of subjects gone quiet, as their Redis keys would expire."""
        for key in [key for key, at in self._expires.items() if at <= now]:
            del self._logs[key], self._expires[key]

    async def forget(self, subject: str) -> None:
        async with self._lock:
            for key in [key for key in self._logs if key[0] == subject]:
                del self._logs[key], self._expires[key]


def _count(log: list[int], window: Window, now: int) -> _Count:
    first = bisect.bisect_right(log, now - window.seconds * _MILLI)
    used = len(log) - first
    if used == 0:
        return _Count(0, None, None)
    room = log[first + used - window.hard] if used >= window.hard > 0 else None
    return _Count(used, log[first], room)


# Redis -----------------------------------------------------------------------------------

# KEYS: the subject's index (a set of its log keys), then one log (sorted set) per group.
# ARGV: 0 to read, 1 to count, 2 to count and trim; a member; the windows as
# `log:seconds:hard,...` (log: 1-based among the logs). Returns now, 1 if it counted (else 0),
# then per window: used, oldest, frees_room_at (the entry whose expiry makes room; -1 for
# none; oldest -2: not read).
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = ARGV[1] ~= '0'
local windows, longest = {}, {}
for log, seconds, hard in string.gmatch(ARGV[3], '(%d+):(%d+):(%d+)') do
  log, seconds = tonumber(log) + 1, tonumber(seconds)
  windows[#windows + 1] = {log, seconds * 1000, tonumber(hard), 0, '(' .. (now - seconds * 1000)}
  if (longest[log] or 0) < seconds then longest[log] = seconds end
end
if ARGV[1] == '2' then
  for log, seconds in pairs(longest) do
    redis.call('ZREMRANGEBYSCORE', KEYS[log], '-inf', now - seconds * 1000)
  end
end
local function nth(w, n)
  local found = redis.call('ZRANGEBYSCORE', KEYS[w[1]], w[5], '+inf', 'WITHSCORES', 'LIMIT', n, 1)
  return tonumber(found[2])
end
local counted, fresh = 1, {}
for _, w in ipairs(windows) do
  w[4] = redis.call('ZCOUNT', KEYS[w[1]], w[5], '+inf')
  if w[4] >= w[3] then counted = 0 end
  if w[4] == 0 and w[2] == longest[w[1]] * 1000 then fresh[w[1]] = true end
end
if not count then counted = 0 end
if counted == 1 then
  local keep = 0
  for log, seconds in pairs(longest) do
    redis.call('ZADD', KEYS[log], now, ARGV[2])
    redis.call('PEXPIRE', KEYS[log], seconds * 1000)
    if seconds * 1000 > keep then keep = seconds * 1000 end
    -- A log that held nothing may be new: list it in the subject's index (for a reset).
    if fresh[log] then
      redis.call('SADD', KEYS[1], KEYS[log])
      redis.call('PEXPIRE', KEYS[1], keep, 'NX')
    end
  end
  -- The index outlives every log it lists: its expiry only ever moves later.
  redis.call('PEXPIRE', KEYS[1], keep, 'GT')
end
-- An admission reads the oldest entry of the tightest window only (least room left, the
-- shorter on a tie: the headers' window); a refusal or a read, of every window.
local tightest = 0
if counted == 1 then
  local best
  for i, w in ipairs(windows) do
    local key = {w[3] - w[4] - 1, w[2]}
    if not best or key[1] < best[1] or (key[1] == best[1] and key[2] < best[2]) then
      best, tightest = key, i
    end
  end
end
local out = {now, counted}
for i, w in ipairs(windows) do
  local n, oldest, room = w[4], -1, -1
  if counted == 1 then
    n = n + 1
    if i ~= tightest and n < w[3] then oldest = -2
    elseif w[4] > 0 then oldest = nth(w, 0)
    else oldest = now end
  elseif n > 0 then
    oldest = nth(w, 0)
  end
  if n >= w[3] and w[3] > 0 then
    if n == w[3] then room = oldest else room = nth(w, n - w[3]) end
  end
  out[#out + 1] = n
  out[#out + 1] = oldest
  out[#out + 1] = room
end
return out
"""

_TRIM_EVERY = 8

_FORGET = """
local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #keys
"""


class RedisStorage:
    """Logs as sorted sets under `<namespace>:ratelimit:`, one script call per check."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._prefix = f"{namespace}:ratelimit:"
        # Registered once: each call is an EVALSHA (redis-py loads the script when missing).
        self._check = redis.register_script(_SCRIPT)
        self._forget = redis.register_script(_FORGET)
        # Members only need to be unique per log: a random prefix per process and a counter.
        self._member_prefix = secrets.token_hex(6)
        self._sequence = itertools.count()
        self._trims = itertools.cycle(range(_TRIM_EVERY))

    def _log_key(self, subject: str, group: str | None) -> str:
        return f"{self._prefix}{subject}:{'' if group is None else group}"

    async def check(
        self, subject: str, windows: Sequence[Window], *, count: bool
    ) -> tuple[int, bool, list[_Count]]:
        groups = list(dict.fromkeys(w.group for w in windows))
        spec = ",".join(f"{groups.index(w.group) + 1}:{w.seconds}:{w.hard}" for w in windows)
        member = f"{self._member_prefix}{next(self._sequence)}"
        # Counts ignore entries older than their window: trimming them is for memory only,
        # so one check in _TRIM_EVERY does it.
        mode = "0" if not count else "2" if next(self._trims) == 0 else "1"
        args = [mode, member, spec]
        keys = [f"{self._prefix}{subject}", *(self._log_key(subject, g) for g in groups)]
        found = await self._check(keys=keys, args=args)
        counts = [
            _Count(used, None if oldest < 0 else oldest, None if room < 0 else room, oldest != -2)
            for used, oldest, room in zip(found[2::3], found[3::3], found[4::3], strict=True)
        ]
        return found[0], found[1] == 1, counts

    async def forget(self, subject: str) -> None:
        await self._forget(keys=[f"{self._prefix}{subject}"])


def build_rate_limiter(
    *, namespace: str, redis: Redis | None, fail_open: bool = False
) -> RateLimiter:
    """In-process logs without `redis`; else Redis (sharing the runtime's client), admitting
    uncounted while it is unreachable if `fail_open`."""
    if redis is None:
        return RateLimiter(MemoryStorage())
    return RateLimiter(RedisStorage(redis, namespace), fail_open=fail_open)
