from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CacheStatsRead")


@_attrs_define
class CacheStatsRead:
    """
    Attributes:
        hit_ratio (float):
        hits (int):
        keys (int):
        memory_bytes (int | None):
        misses (int):
    """

    hit_ratio: float
    hits: int
    keys: int
    memory_bytes: int | None
    misses: int

    def to_dict(self) -> dict[str, Any]:
        hit_ratio = self.hit_ratio

        hits = self.hits

        keys = self.keys

        memory_bytes: int | None
        memory_bytes = self.memory_bytes

        misses = self.misses

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "hit_ratio": hit_ratio,
                "hits": hits,
                "keys": keys,
                "memory_bytes": memory_bytes,
                "misses": misses,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hit_ratio = d.pop("hit_ratio")

        hits = d.pop("hits")

        keys = d.pop("keys")

        def _parse_memory_bytes(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        memory_bytes = _parse_memory_bytes(d.pop("memory_bytes"))

        misses = d.pop("misses")

        cache_stats_read = cls(
            hit_ratio=hit_ratio,
            hits=hits,
            keys=keys,
            memory_bytes=memory_bytes,
            misses=misses,
        )

        return cache_stats_read
