from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.request_monitor_counts import RequestMonitorCounts


T = TypeVar("T", bound="RequestMonitor")


@_attrs_define
class RequestMonitor:
    """
    Attributes:
        counts (RequestMonitorCounts):
        oldest_unanswered_age_seconds (float | None):
        total (int):
    """

    counts: RequestMonitorCounts
    oldest_unanswered_age_seconds: float | None
    total: int

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts.to_dict()

        oldest_unanswered_age_seconds: float | None
        oldest_unanswered_age_seconds = self.oldest_unanswered_age_seconds

        total = self.total

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "counts": counts,
                "oldest_unanswered_age_seconds": oldest_unanswered_age_seconds,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_monitor_counts import RequestMonitorCounts  # noqa: PLC0415

        d = dict(src_dict)
        counts = RequestMonitorCounts.from_dict(d.pop("counts"))

        def _parse_oldest_unanswered_age_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        oldest_unanswered_age_seconds = _parse_oldest_unanswered_age_seconds(d.pop("oldest_unanswered_age_seconds"))

        total = d.pop("total")

        request_monitor = cls(
            counts=counts,
            oldest_unanswered_age_seconds=oldest_unanswered_age_seconds,
            total=total,
        )

        return request_monitor
