"""The `search_template` handler: a stored search template filled with the request's values.

Settings: `index`, `max_results`, and one of two template forms (docs/catalog.md):

- `source`: an Elasticsearch search template (mustache), stored as given and rendered by
  Elasticsearch itself, the parameters passed as `params` (Elasticsearch backend only);
- `query`: a structured template (`search.template`), translated by any backend into its
  own query objects with the values bound.

Both are checked against the type's parameter schema when the type is defined; neither is
ever filled in by string formatting here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import Invalid
from response_network.handlers.base import Handler, HandlerAnswer, HandlerLimits
from response_network.search import search_backend_for
from response_network.search.mustache import MAX_RESULTS_PARAM, check_source, sample_parameters
from response_network.search.query import IndexName
from response_network.search.template import (
    as_json,
    declared_parameters,
    parse_template,
    resolve,
)

if TYPE_CHECKING:
    from response_network.search.elastic import ElasticsearchBackend


class TemplateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    index: IndexName
    source: str | None = None
    """Elasticsearch mustache template (bounded by `check_source`, like the structured one)."""
    query: dict[str, Any] | None = None
    """Structured template."""
    max_results: int = Field(default=100, ge=1, le=10_000)

    @model_validator(mode="after")
    def _one_form(self) -> TemplateSettings:
        if (self.source is None) == (self.query is None):
            raise ValueError("give exactly one of `source` (mustache) or `query` (structured)")
        return self


def _parse(settings: Mapping[str, Any]) -> TemplateSettings:
    try:
        return TemplateSettings.model_validate(settings)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        raise Invalid(f"{where}: {error['msg']}", code="invalid.handler_settings") from None


class SearchTemplateHandler(Handler):
    name = "search_template"

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        config = _parse(settings)
        if config.source is not None and self.app_settings.search_backend != "elasticsearch":
            raise Invalid(
                "a mustache `source` is rendered by Elasticsearch; the "
                f"{self.app_settings.search_backend} search backend takes a structured `query`",
                code="invalid.handler_settings",
            )
        if config.query is not None:
            parse_template(config.query, parameters=None)

    async def check_definition(
        self, *, settings: Mapping[str, Any], parameter_schema: Mapping[str, Any]
    ) -> None:
        self.validate_settings(settings)
        config = _parse(settings)
        if config.query is not None:
            parse_template(config.query, parameters=declared_parameters(parameter_schema))
            return
        assert config.source is not None
        check_source(config.source, parameter_schema=parameter_schema)
        # Elasticsearch has the last word on its own template language.
        elastic = self._elastic()
        try:
            await elastic.render_search_template(
                source=config.source, params=sample_parameters(parameter_schema)
            )
        finally:
            await elastic.close()

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        config = _parse(settings)
        cap = min(config.max_results, limits.max_results)
        if config.source is not None:
            elastic = self._elastic()
            try:
                result = await elastic.search_template(
                    index=config.index,
                    source=config.source,
                    params=_params(parameters, cap),
                    limit=cap,
                )
            finally:
                await elastic.close()
        else:
            assert config.query is not None
            template = resolve(parse_template(config.query, parameters=None), parameters)
            backend = search_backend_for(self.app_settings)
            try:
                result = await backend.search_structured(
                    index=config.index, template=template, limit=cap
                )
            finally:
                await backend.close()
        return HandlerAnswer(
            body={"total": result.total, "hits": [dict(hit) for hit in result.hits]}
        )

    async def render(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> Any:
        """Elasticsearch: the body it renders; structured: the resolved template."""
        config = _parse(settings)
        if config.query is not None:
            return as_json(resolve(parse_template(config.query, parameters=None), parameters))
        assert config.source is not None
        elastic = self._elastic()
        try:
            cap = min(config.max_results, limits.max_results)
            return await elastic.render_search_template(
                source=config.source, params=_params(parameters, cap)
            )
        finally:
            await elastic.close()

    def _elastic(self) -> ElasticsearchBackend:
        from response_network.search.elastic import ElasticsearchBackend  # loads aiohttp

        backend = search_backend_for(self.app_settings)
        assert isinstance(backend, ElasticsearchBackend)  # `validate_settings` checked it
        return backend


def _params(parameters: Mapping[str, Any], cap: int) -> dict[str, Any]:
    """The request's parameters as Elasticsearch `params`, with the result cap (ours wins)."""
    return {**parameters, MAX_RESULTS_PARAM: cap}
