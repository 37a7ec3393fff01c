"""The request network's runtime: what it builds once, shared by its API and its jobs."""

from __future__ import annotations

from functools import cached_property

from request_network.auth.models import RevokedToken
from request_network.auth.service import Principals
from request_network.catalog.cache import CatalogCache
from request_network.responses.cache import ResponseCache, ResponseCacheMetrics
from request_network.settings import RequestSettings
from shared.platform.runtime import NetworkRuntime


class RequestRuntime(NetworkRuntime[RequestSettings]):
    revoked_tokens = RevokedToken

    @cached_property
    def principals(self) -> Principals:
        """Who recently called (this process's cache of token users), built on first use."""
        return Principals(self.settings.principal_cache_seconds)

    @cached_property
    def catalog(self) -> CatalogCache:
        """The catalog rows submissions read, kept in this process until the next import."""
        return CatalogCache(self.cache, seconds=self.settings.catalog_cache_seconds)

    @cached_property
    def response_cache(self) -> ResponseCache:
        """The one response cache, shared by the API and the importer."""
        return ResponseCache(
            self.cache,
            ttl=self.settings.response_cache_ttl_seconds,
            hold=self.settings.response_cache_write_hold_seconds,
            fill_wait=self.settings.response_cache_fill_wait_seconds,
            metrics=ResponseCacheMetrics(self.metrics_registry),
        )
