"""Building a query from a caller's allow-lists: fields outside them and oversize limits."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from response_network.search.query import SearchPolicy, SortKey, plan_search

POLICY = SearchPolicy(
    text_fields=("title",),
    filter_fields=frozenset({"category", "year"}),
    sort_fields=frozenset({"year"}),
    max_results=20,
)


def test_plan_keeps_inside_the_policy_and_caps_the_limit() -> None:
    query = plan_search(
        policy=POLICY,
        text="pump",
        terms={"category": "valve"},
        ranges={"year": {"gte": 1990}},
        sort=[{"field": "year", "direction": "desc"}],
        limit=500,
        offset=40,
    )
    default = plan_search(policy=POLICY, text="pump")

    assert query.text_fields == ("title",)
    assert query.sort == (SortKey(field="year", direction="desc"),)
    assert (query.limit, query.offset, default.limit) == (20, 40, 20)


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ({"terms": {"secret": "x"}}, "invalid.search_field"),
        ({"ranges": {"weight": {"gte": 1}}}, "invalid.search_field"),
        ({"sort": [{"field": "title"}]}, "invalid.search_field"),
        ({"terms": {"category": ["a", "b"]}}, "invalid.search_query"),
        ({"ranges": {"year": {"$where": "1"}}}, "invalid.search_query"),
        ({"ranges": {"year": {}}}, "invalid.search_query"),
        ({"sort": [{"field": "year", "direction": "sideways"}]}, "invalid.search_query"),
        ({"offset": 20_000}, "invalid.search_query"),
        ({"text": "x" * 5000}, "invalid.search_query"),
    ],
)
def test_plan_refuses_what_the_policy_does_not_allow(parts: dict[str, object], code: str) -> None:
    with pytest.raises(Invalid) as refused:
        plan_search(policy=POLICY, **parts)  # type: ignore[arg-type]

    assert refused.value.code == code
