"""The one interface both search backends serve, and the factory that picks one from settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from core.errors import ConfigurationError
from response_network.search.fts5 import Fts5SearchBackend
from response_network.search.query import IndexInfo, IndexSchema, SearchQuery, SearchResult
from response_network.search.tantivy_backend import TantivySearchBackend
from response_network.search.template import Clause
from response_network.settings import ResponseSettings


class SearchBackend(Protocol):
    """Errors: `NotFound` (`not_found.index`), `Invalid` (`invalid.search_field`, ...),
    `Unavailable` (`unavailable.search`); never a bare exception."""

    async def create_index(self, *, schema: IndexSchema) -> bool:
        """Create the index; True if created, False if it exists with this very schema."""
        ...

    async def load(self, *, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        """Upsert documents by their `id`; returns how many were written."""
        ...

    async def search(self, *, index: str, query: SearchQuery) -> SearchResult: ...

    async def search_structured(
        self, *, index: str, template: Clause | None, limit: int
    ) -> SearchResult:
        """A resolved structured template (`search.template`); None matches everything."""
        ...

    async def indexes(self) -> list[IndexInfo]: ...

    async def close(self) -> None: ...


def search_backend_for(settings: ResponseSettings) -> SearchBackend:
    """The backend the settings name; the caller closes it."""
    if settings.search_backend == "elasticsearch":
        from response_network.search.elastic import ElasticsearchBackend  # loads aiohttp

        if not settings.elasticsearch_url:
            raise ConfigurationError(
                "AIRLOCK_RESPONSE_ELASTICSEARCH_URL is required when the search backend is "
                "elasticsearch"
            )
        return ElasticsearchBackend(
            url=settings.elasticsearch_url,
            api_key=settings.elasticsearch_api_key,
            timeout_seconds=settings.search_timeout_seconds,
        )
    if settings.search_backend == "sqlite":
        return Fts5SearchBackend(
            directory=settings.resolved_search_dir, timeout_seconds=settings.search_timeout_seconds
        )
    return TantivySearchBackend(
        directory=settings.resolved_search_dir, timeout_seconds=settings.search_timeout_seconds
    )
