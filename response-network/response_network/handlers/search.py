"""The `search` handler: parameters mapped onto a structured `SearchQuery`, never query text.

Settings: `index`; `text_param` (the parameter whose value is the text to match) and
`text_fields` (where it must match); `filter_params` (parameter -> field, each a term filter);
`sort` (fixed sort keys); `max_results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import Invalid
from response_network.handlers.base import Handler, HandlerAnswer, HandlerLimits
from response_network.search import (
    SearchPolicy,
    SortKey,
    plan_search,
    search_backend_for,
)
from response_network.search.query import FieldName, IndexName


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    index: IndexName
    text_param: str | None = Field(default=None, max_length=64)
    text_fields: tuple[FieldName, ...] = Field(default=(), max_length=32)
    filter_params: dict[str, FieldName] = Field(default_factory=dict, max_length=64)
    sort: tuple[SortKey, ...] = Field(default=(), max_length=4)
    max_results: int = Field(default=100, ge=1, le=10_000)


def _parse(settings: Mapping[str, Any]) -> SearchSettings:
    try:
        return SearchSettings.model_validate(settings)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        raise Invalid(f"{where}: {error['msg']}", code="invalid.handler_settings") from None


class SearchHandler(Handler):
    name = "search"

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        _parse(settings)

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        config = _parse(settings)
        policy = SearchPolicy(
            text_fields=config.text_fields,
            filter_fields=frozenset(config.filter_params.values()),
            sort_fields=frozenset(key.field for key in config.sort),
            max_results=min(config.max_results, limits.max_results),
        )
        text = parameters.get(config.text_param) if config.text_param else None
        if text is not None and not isinstance(text, str):
            raise Invalid(f"{config.text_param} must be text", code="invalid.parameters")
        terms = {
            field: parameters[param]
            for param, field in config.filter_params.items()
            if parameters.get(param) is not None
        }
        query = plan_search(
            policy=policy,
            text=text,
            terms=terms,
            sort=[key.model_dump() for key in config.sort],
        )
        backend = search_backend_for(self.app_settings)
        try:
            result = await backend.search(index=config.index, query=query)
        finally:
            await backend.close()
        return HandlerAnswer(
            body={"total": result.total, "hits": [dict(hit) for hit in result.hits]}
        )
