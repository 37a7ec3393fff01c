"""Which matches of a tantivy query fill a `SearchQuery`'s window, in the order it asks.

No sort: best match first (text), or by id (filters only), which tantivy does natively.
Sort keys: tantivy orders by one column at a time, and a field's values live in one column
per JSON type (`tantivy_layout.py`), so the keys are applied here, reading no more than the
window needs: for the first key, each type's column in turn (ascending: missing, booleans,
numbers, text; descending the reverse), the top of it natively; documents sharing a value
are ordered by the next key the same way, and after the last key by best match (text) or id.
Every step is a tantivy search; only the window's documents ever reach Python.
"""

from __future__ import annotations

from itertools import groupby

import tantivy
from tantivy import Occur, Order, Query

from response_network.search.query import IndexSchema, SearchQuery, SortKey
from response_network.search.tantivy_layout import ValueKind, value_column

Window = list[tuple[float | None, tantivy.DocAddress]]
KINDS: tuple[ValueKind, ...] = ("bool", "num", "str")
"""A sort field's columns in ascending order, after documents without the field."""


def window(
    searcher: tantivy.Searcher,
    schema: IndexSchema,
    columns: tantivy.Schema,
    query: SearchQuery,
    plan: Query,
) -> tuple[int, Window]:
    """How many documents match `plan`, and the (score, address) of those in the window;
    the score is None without text."""
    # tantivy refuses a limit of 0 (it panics): ask for one hit and drop it.
    limit = max(query.limit, 1)
    if query.text is not None and not query.sort:
        found = searcher.search(plan, limit=limit, offset=query.offset)
        hits: Window = [(float(score), address) for score, address in found.hits]
        return _count(found), hits[: query.limit]
    if not query.sort:
        found = searcher.search(
            plan, limit=limit, offset=query.offset, order_by_field="id", order=Order.Asc
        )
        unscored: Window = [(None, address) for _, address in found.hits]
        return _count(found), unscored[: query.limit]
    total = _count(searcher.search(plan, limit=1))
    if total <= query.offset or query.limit == 0:
        return total, []
    ordering = _Ordering(searcher, schema, columns, with_text=query.text is not None)
    addresses = ordering.first(plan, query.sort, query.offset + query.limit)[query.offset :]
    if query.text is None:
        return total, [(None, address) for address in addresses]
    return total, _scored(searcher, columns, plan, addresses)


class _Ordering:
    def __init__(
        self,
        searcher: tantivy.Searcher,
        schema: IndexSchema,
        columns: tantivy.Schema,
        *,
        with_text: bool,
    ) -> None:
        self.searcher = searcher
        self.schema = schema
        self.columns = columns
        self.with_text = with_text

    def first(
        self, plan: Query, keys: tuple[SortKey, ...], wanted: int
    ) -> list[tantivy.DocAddress]:
        """The first `wanted` matches of `plan` ordered by `keys`, then best match or id."""
        if not keys:
            return self._best(plan, wanted)
        key, rest = keys[0], keys[1:]
        field_columns = [value_column(self.schema, key.field, kind) for kind in KINDS]
        parts: list[str | None] = [None, *field_columns]  # None: documents without the field
        if key.direction == "desc":
            parts.reverse()
        picked: list[tantivy.DocAddress] = []
        for column in parts:
            if len(picked) >= wanted:
                break
            if column is None:
                without = [(Occur.MustNot, Query.exists_query(c)) for c in field_columns]
                missing = Query.boolean_query([(Occur.Must, plan), *without])
                picked += self.first(missing, rest, wanted - len(picked))
            else:
                picked += self._by_column(plan, column, key, rest, wanted - len(picked))
        return picked[:wanted]

    def _by_column(
        self, plan: Query, column: str, key: SortKey, rest: tuple[SortKey, ...], wanted: int
    ) -> list[tantivy.DocAddress]:
        having = _both(plan, Query.exists_query(column))
        order = Order.Desc if key.direction == "desc" else Order.Asc
        top = self.searcher.search(
            having, limit=wanted, count=False, order_by_field=column, order=order
        ).hits
        groups = [(value, [address for _, address in hits]) for value, hits in groupby(top, _value)]
        picked: list[tantivy.DocAddress] = []
        for number, (value, members) in enumerate(groups):
            # Every document with a value before the last one is in `top`; the last value may
            # have more documents than `top` holds when it is full.
            complete = number < len(groups) - 1 or len(top) < wanted
            if complete and len(members) == 1:
                picked += members
            else:
                # The column holds one type, so its term matches exactly this value.
                same = _both(having, Query.term_query(self.columns, column, value))
                picked += self.first(same, rest, wanted - len(picked))
        return picked

    def _best(self, plan: Query, wanted: int) -> list[tantivy.DocAddress]:
        if wanted <= 0:  # never reached by `first`; a limit of 0 would panic in tantivy
            return []
        if self.with_text:
            hits = self.searcher.search(plan, limit=wanted, count=False).hits
        else:
            hits = self.searcher.search(
                plan, limit=wanted, count=False, order_by_field="id", order=Order.Asc
            ).hits
        return [address for _, address in hits]


def _scored(
    searcher: tantivy.Searcher,
    columns: tantivy.Schema,
    plan: Query,
    addresses: list[tantivy.DocAddress],
) -> Window:
    """The text scores of the window's documents, found again by their ids."""
    ids = [searcher.doc(address).get_first("id") for address in addresses]
    found = searcher.search(
        _both(plan, Query.term_set_query(columns, "id", ids)), limit=max(len(ids), 1), count=False
    )
    score = {_key(address): float(value) for value, address in found.hits}
    return [(score.get(_key(address)), address) for address in addresses]


def _both(plan: Query, condition: Query) -> Query:
    """`plan` narrowed by `condition`, which adds nothing to the score."""
    return Query.boolean_query(
        [(Occur.Must, plan), (Occur.Must, Query.const_score_query(condition, 0.0))]
    )


def _value(hit: tuple[object, tantivy.DocAddress]) -> object:
    return hit[0]


def _key(address: tantivy.DocAddress) -> tuple[int, int]:
    return address.segment_ord, address.doc


def _count(found: tantivy.SearchResult) -> int:
    count: int = found.count  # type: ignore[attr-defined]  # missing from tantivy's stub
    return count
