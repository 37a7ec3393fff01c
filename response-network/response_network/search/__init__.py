"""Full-text and filtered search for the catalog's `search` handler: one interface, three backends
(embedded tantivy, SQLite FTS5, Elasticsearch), chosen by settings."""

from response_network.search.backend import SearchBackend, search_backend_for
from response_network.search.query import (
    IndexInfo,
    IndexSchema,
    Range,
    SearchHit,
    SearchPolicy,
    SearchQuery,
    SearchResult,
    SortKey,
    plan_search,
)

__all__ = [
    "IndexInfo",
    "IndexSchema",
    "Range",
    "SearchBackend",
    "SearchHit",
    "SearchPolicy",
    "SearchQuery",
    "SearchResult",
    "SortKey",
    "plan_search",
    "search_backend_for",
]
