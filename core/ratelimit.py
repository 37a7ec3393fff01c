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
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

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


# Results are slotted, not frozen: a frozen dataclass takes five times as long to build, and
# every submission builds one per window. Nothing changes them once built.
@dataclass(slots=True)
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


@dataclass(slots=True)
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


_Count = tuple[int, int | None, int | None, bool]
"""One window as the storage saw it: used, oldest, frees_room_at (times in milliseconds of
the storage's clock; None: nothing), whether the oldest was read. A bare tuple: a check builds
eight of them, on every submission."""


class _Storage(Protocol):
    async def check(
        self, subject: str, windows: Sequence[Window], *, count: bool
    ) -> tuple[int, bool, list[_Count]]:
        """(now, whether it counted, per window): with `count`, one admission is counted in
        every window if every window had room; nothing is written otherwise."""

    async def forget(self, subject: str) -> None: ...


def _usage(window: Window, found: _Count, now: int) -> WindowUsage:
    used, oldest, room, oldest_read = found
    # Seconds until an admission counted at a time leaves the window.
    if room is not None:
        retry = max(0.0, (room - now) / _MILLI + window.seconds)
    elif used >= window.hard:
        retry = float(window.seconds)  # a hard limit of 0: no room is ever freed
    else:
        retry = 0.0
    reset = None
    if oldest_read:
        reset = 0.0 if oldest is None else max(0.0, (oldest - now) / _MILLI + window.seconds)
    return WindowUsage(window, used, reset, retry)


def _decide(
    windows: Sequence[Window], now: int, counts: list[_Count], counted: bool
) -> RateDecision:
    pairs = zip(windows, counts, strict=True)
    usage = tuple([_usage(window, found, now) for window, found in pairs])
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
            room = all(found[0] < w.hard for w, found in zip(windows, counts, strict=True))
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
        return (0, None, None, True)
    room = log[first + used - window.hard] if used >= window.hard > 0 else None
    return (used, log[first], room, True)


# Redis -----------------------------------------------------------------------------------

# KEYS: the subject's index (a set of its log keys), then one log (sorted set) per group.
# ARGV: a member, then numbers packed as little-endian 64-bit integers in one argument: per
# window its log (1-based among the logs), seconds and hard limit, then the mode (0 to read, 1
# to count, 2 to count and trim). Returns, packed the same way: now, 1 if it counted (else 0), then
# per window: used, oldest, frees_room_at (the entry whose expiry makes room; -1 for none;
# oldest -2: not read). Every `redis.call` costs a microsecond or two of the server's single
# thread, so each window is one ZCOUNT and each log one ZADD and PEXPIRE.
_SCRIPT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local spec = {struct.unpack('<' .. string.rep('i8', #ARGV[2] / 8), ARGV[2])}
local n = (#spec - 2) / 3
local mode = spec[#spec - 1]
local counted = mode ~= 0
local logs, hards, used, since = {}, {}, {}, {}
local longest, fresh = {}, {}
for i = 1, n do
  local log, span, hard = KEYS[spec[3 * i - 2] + 1], spec[3 * i - 1] * 1000, spec[3 * i]
  -- Numbers, not strings: Lua formats a number into a string slowly (integer ms: +1 for `>`).
  local min = now - span + 1
  local c = redis.call('ZCOUNT', log, min, '+inf')
  logs[i], hards[i], used[i], since[i] = log, hard, c, min
  if c >= hard then counted = false end
  -- A log empty over its longest window may be new: listed in the index if it counts.
  if (longest[log] or 0) < span then longest[log], fresh[log] = span, c == 0 end
end
if mode == 2 then
  for log, span in pairs(longest) do
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - span)
  end
end
local out = {now, 0}
local tightest = 0
if counted then
  out[2] = 1
  local keep = 0
  for log, span in pairs(longest) do
    redis.call('ZADD', log, now, ARGV[1])
    redis.call('PEXPIRE', log, span)
    if span > keep then keep = span end
    if fresh[log] then
      redis.call('SADD', KEYS[1], log)
      redis.call('PEXPIRE', KEYS[1], span, 'NX')
    end
  end
  -- The index outlives every log it lists: its expiry only ever moves later.
  redis.call('PEXPIRE', KEYS[1], keep, 'GT')
  -- An admission reads the oldest entry of the tightest window only (least room left, the
  -- shorter on a tie: the headers' window); a refusal or a read, of every window.
  local best, span_best
  for i = 1, n do
    local left, span = hards[i] - used[i], spec[3 * i - 1]
    if not best or left < best or (left == best and span < span_best) then
      best, span_best, tightest = left, span, i
    end
  end
end
local function nth(i, k)
  local found = redis.call('ZRANGEBYSCORE', logs[i], since[i], '+inf', 'WITHSCORES', 'LIMIT', k, 1)
  return tonumber(found[2])
end
for i = 1, n do
  local c, hard, oldest, room = used[i], hards[i], -1, -1
  if counted then
    if i ~= tightest and c + 1 < hard then oldest = -2
    elseif c > 0 then oldest = nth(i, 0)
    else oldest = now end
    c = c + 1
  elseif c > 0 then
    oldest = nth(i, 0)
  end
  if c >= hard and hard > 0 then
    if c == hard then room = oldest else room = nth(i, c - hard) end
  end
  out[3 * i], out[3 * i + 1], out[3 * i + 2] = c, oldest, room
end
return struct.pack('<' .. string.rep('i8', #out), unpack(out))
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
        self._redis = redis
        # The check's EVALSHA is sent by hand: redis-py's script object costs a tenth of a
        # check's time around the same command. It is loaded again when the server lost it.
        self._check = redis.register_script(_SCRIPT)
        self._evalsha = ("EVALSHA", self._check.sha)
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
        # Counts ignore entries older than their window: trimming them is for memory only,
        # so one check in _TRIM_EVERY does it.
        mode = 0 if not count else 2 if next(self._trims) == 0 else 1
        spec: list[int] = []
        logs: dict[str | None, int] = {}
        for w in windows:
            spec += (logs.setdefault(w.group, len(logs) + 1), w.seconds, w.hard)
        # One packed argument, not one per number: redis-py encodes each argument on its own,
        # which cost more than the script's work for eight windows.
        member = f"{self._member_prefix}{next(self._sequence)}"
        spec.append(mode)
        args: list[str | bytes] = [member, struct.pack(f"<{len(spec)}q", *spec)]
        keys = [f"{self._prefix}{subject}", *(self._log_key(subject, g) for g in logs)]
        try:
            reply = await self._redis.execute_command(  # type: ignore[no-untyped-call]
                *self._evalsha, len(keys), *keys, *args
            )
        except NoScriptError:
            # A restarted or flushed server: the script object loads it and runs it.
            reply = await self._check(keys=keys, args=args)
        found = struct.unpack(f"<{len(reply) // 8}q", reply)
        counts = [
            (used, None if oldest < 0 else oldest, None if room < 0 else room, oldest != -2)
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
