"""What a user may submit: the one rule both networks apply to a request.

The request network applies it at submission against its synced copy of the catalog; the
response network applies it again when it plans an answer, against its own (master) catalog,
so a forged or stale batch cannot open a type, a size or a priority the profile does not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

from core.errors import Forbidden, Invalid
from shared.parameters import parameter_bytes

DEFAULT_MAX_PRIORITY = 5
"""A profile's `max_priority` unless set: the default priority of a submission, so only a
raised priority needs a profile (or a user override) that allows it."""
HIGHEST_PRIORITY = 9
MAX_PRIORITY_OVERRIDE = "max_priority"
"""The key of `user.limit_overrides` that replaces the profile's `max_priority` for one user."""
GRANT_ONLY_PARAMETER_BYTES = 16_384
"""Parameter size bound for a user without a (known) profile who holds a grant."""


class ProfileRules(Protocol):
    """The profile columns the rule reads (the same on both networks)."""

    @property
    def allow_all(self) -> bool: ...

    @property
    def allowed_types(self) -> list[str]: ...

    @property
    def blocked_types(self) -> list[str]: ...

    @property
    def max_parameter_bytes(self) -> int: ...

    @property
    def max_priority(self) -> int: ...


def profile_opens(profile: ProfileRules | None, request_type: str) -> bool:
    """All types or the allowed list, minus the blocked list; no profile opens nothing."""
    if profile is None or request_type in profile.blocked_types:
        return False
    return profile.allow_all or request_type in profile.allowed_types


def check_access(
    *,
    profile: ProfileRules | None,
    granted: Collection[str],
    request_type: str,
    parameters: Mapping[str, Any],
    size: int | None = None,
) -> None:
    """`Forbidden` (`forbidden.request_type`) unless the profile or a grant opens
    `request_type`; `Invalid` (`invalid.parameters_size`) when the parameters are larger than
    the profile allows. `size`: `parameter_bytes(parameters)`, if the caller measured it."""
    if not profile_opens(profile, request_type) and request_type not in granted:
        raise Forbidden(
            f"your profile does not allow {request_type!r}", code="forbidden.request_type"
        )
    if size is None:
        size = parameter_bytes(parameters)
    limit = profile.max_parameter_bytes if profile is not None else GRANT_ONLY_PARAMETER_BYTES
    if size > limit:
        raise Invalid(
            f"the parameters take {size} bytes, more than the {limit} your profile allows",
            code="invalid.parameters_size",
        )


def max_priority(profile: ProfileRules | None, limit_overrides: Mapping[str, Any] | None) -> int:
    """The user's override (`limit_overrides["max_priority"]`) if any, else the profile's."""
    override = (limit_overrides or {}).get(MAX_PRIORITY_OVERRIDE)
    if isinstance(override, int) and not isinstance(override, bool) and override >= 0:
        return min(override, HIGHEST_PRIORITY)
    return profile.max_priority if profile is not None else DEFAULT_MAX_PRIORITY


def check_priority(
    *, profile: ProfileRules | None, limit_overrides: Mapping[str, Any] | None, priority: int
) -> None:
    """`Forbidden` (`forbidden.priority`) above what the profile (or override) allows."""
    allowed = max_priority(profile, limit_overrides)
    if priority > allowed:
        raise Forbidden(
            f"priority {priority} is above the {allowed} your profile allows",
            code="forbidden.priority",
            extra={"field": "priority", "max_priority": allowed},
        )
