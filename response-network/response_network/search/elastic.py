"""The Elasticsearch search backend, through the official async client.

A `SearchQuery` becomes one `bool` query: the text goes into `multi_match` as its `query`
value (which Elasticsearch analyses as text, never parses as syntax), filters are `term` and
`range` clauses with plain scalar values. Indexes and their mappings belong to the cluster's
owners: this backend reads them and does not create or load them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    NotFoundError,
    TransportError,
)
from pydantic import SecretStr

from core.errors import Invalid, NotFound, Unavailable
from response_network.search.query import (
    IndexInfo,
    IndexSchema,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from response_network.search.template import OCCURS, Bool, Clause, Match, Term

log = structlog.get_logger(__name__)


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The `_search` request body for `query`; the exact shape the tests pin down."""
    clauses: dict[str, list[dict[str, Any]]] = {}
    if query.text is not None:
        match: dict[str, Any] = {"query": query.text, "operator": "and"}
        if query.text_fields:
            match["fields"] = list(query.text_fields)
        clauses["must"] = [{"multi_match": match}]
    filters: list[dict[str, Any]] = [
        {"term": {field: value}} for field, value in query.terms.items()
    ]
    filters += [{"range": {field: bounds.bounds()}} for field, bounds in query.ranges.items()]
    if filters:
        clauses["filter"] = filters
    body: dict[str, Any] = {
        "query": {"bool": clauses},
        "size": query.limit,
        "from": query.offset,
        "track_total_hits": True,
    }
    if query.sort:
        body["sort"] = [{key.field: {"order": key.direction}} for key in query.sort]
    return body


def structured_query(clause: Clause | None) -> dict[str, Any]:
    """A resolved structured template as query DSL, with the values in place."""
    if clause is None:
        return {"match_all": {}}
    if isinstance(clause, Match):
        return {"match": {clause.field: {"query": clause.text, "operator": "and"}}}
    if isinstance(clause, Term):
        return {"term": {clause.field: clause.value}}
    if not isinstance(clause, Bool):
        return {"range": {clause.field: dict(clause.bounds)}}
    body: dict[str, Any] = {
        occur: [structured_query(child) for child in getattr(clause, occur)]
        for occur in OCCURS
        if getattr(clause, occur)
    }
    if clause.should:
        body["minimum_should_match"] = 1
    return {"bool": body}


class ElasticsearchBackend:
    """Searches indexes of an Elasticsearch cluster (8.x or 9.x)."""

    def __init__(
        self,
        *,
        url: str,
        api_key: SecretStr | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.client = AsyncElasticsearch(
            url,
            api_key=api_key.get_secret_value() if api_key else None,
            request_timeout=timeout_seconds,
            max_retries=0,
            retry_on_timeout=False,
        )

    async def create_index(self, *, schema: IndexSchema) -> bool:
        raise Invalid(
            "Elasticsearch indexes are created by the cluster's owners, not by Airlock",
            code="invalid.search_backend",
        )

    async def load(self, *, index: str, documents: Iterable[Mapping[str, Any]]) -> int:
        raise Invalid(
            "Elasticsearch indexes are loaded by the cluster's own tooling, not by Airlock",
            code="invalid.search_backend",
        )

    async def search(self, *, index: str, query: SearchQuery) -> SearchResult:
        return await self._search(index, self.client.search, body=search_body(query))

    async def search_structured(
        self, *, index: str, template: Clause | None, limit: int
    ) -> SearchResult:
        body = {"query": structured_query(template), "size": limit, "track_total_hits": True}
        return await self._search(index, self.client.search, body=body)

    async def search_template(
        self, *, index: str, source: str, params: Mapping[str, Any], limit: int
    ) -> SearchResult:
        """Elasticsearch renders `source` with `params` (its mustache escapes them for JSON);
        the template sets `size`, so the hits are cut to `limit` here as well."""
        result = await self._search(
            index, self.client.search_template, source=source, params=params
        )
        return SearchResult(total=result.total, hits=result.hits[:limit], took_ms=result.took_ms)

    async def render_search_template(
        self, *, source: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The body Elasticsearch makes of `source` and `params`; `invalid.search_template`
        when it cannot (bad mustache, or not JSON once rendered)."""
        try:
            answer = await self.client.render_search_template(source=source, params=params)
        except ApiError as exc:
            log.warning("search_template_refused", status=exc.meta.status, error=exc.error)
            if exc.meta.status == 400:
                raise Invalid(
                    f"Elasticsearch cannot render the template: {exc.error}",
                    code="invalid.search_template",
                    extra={"field": "handler_settings.source"},
                ) from None
            raise Unavailable(
                "the search cluster refused the request", code="unavailable.search"
            ) from exc
        except TransportError as exc:
            raise Unavailable(
                "the search cluster did not answer", code="unavailable.search"
            ) from exc
        output: dict[str, Any] = answer.body.get("template_output", {})
        return output

    async def _search(self, index: str, call: Any, **arguments: Any) -> SearchResult:
        if index.startswith(("_", ".")) or any(c in index for c in ",*/ "):
            raise NotFound(f"no search index {index!r}", code="not_found.index")
        try:
            answer = await call(index=index, **arguments)
        except NotFoundError as exc:
            raise NotFound(f"no search index {index!r}", code="not_found.index") from exc
        except ApiError as exc:
            raise _refused(exc, index=index) from exc
        except TransportError as exc:
            log.warning("search_unavailable", index=index, error=type(exc).__name__)
            raise Unavailable(
                "the search cluster did not answer", code="unavailable.search"
            ) from exc
        hits = answer["hits"]
        total = hits["total"]
        return SearchResult(
            total=int(total["value"] if isinstance(total, dict) else total),
            hits=[
                SearchHit(id=hit["_id"], score=hit.get("_score"), source=hit.get("_source", {}))
                for hit in hits["hits"]
            ],
            took_ms=float(answer.get("took", 0)),
        )

    async def indexes(self) -> list[IndexInfo]:
        try:
            answer = await self.client.cat.indices(format="json")
        except (ApiError, TransportError) as exc:
            log.warning("search_unavailable", error=type(exc).__name__)
            raise Unavailable(
                "the search cluster did not answer", code="unavailable.search"
            ) from exc
        rows: list[dict[str, Any]] = answer.body if isinstance(answer.body, list) else []
        return sorted(
            (
                IndexInfo(name=row["index"], documents=int(row.get("docs.count") or 0))
                for row in rows
                if not row["index"].startswith(".")
            ),
            key=lambda info: info.name,
        )

    async def close(self) -> None:
        await self.client.close()


def _refused(exc: ApiError, *, index: str) -> Invalid | Unavailable:
    """A 400 is the query's fault (e.g. a range on a text field); anything else the cluster's."""
    log.warning("search_refused", index=index, status=exc.meta.status, error=exc.error)
    if exc.meta.status == 400:
        return Invalid("the search index refused this query", code="invalid.search_query")
    return Unavailable("the search cluster refused the request", code="unavailable.search")
