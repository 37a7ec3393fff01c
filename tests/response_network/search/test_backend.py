"""`SEARCH_BACKEND` picks the backend: tantivy by default, FTS5 or a cluster when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigurationError
from response_network.search import search_backend_for
from response_network.search.elastic import ElasticsearchBackend
from response_network.search.fts5 import Fts5SearchBackend
from response_network.search.tantivy_backend import TantivySearchBackend
from response_network.settings import ResponseSettings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("embedded", TantivySearchBackend),
        ("sqlite", Fts5SearchBackend),
        ("elasticsearch", ElasticsearchBackend),
    ],
)
async def test_the_setting_picks_the_backend(tmp_path: Path, name: Any, expected: type) -> None:
    settings = ResponseSettings(
        environment="test",
        var_dir=tmp_path,
        search_backend=name,
        elasticsearch_url="http://es.invalid:9200",
    )

    backend = search_backend_for(settings)

    assert isinstance(backend, expected)
    await backend.close()


def test_the_default_is_tantivy(tmp_path: Path) -> None:
    settings = ResponseSettings(environment="test", var_dir=tmp_path)

    assert isinstance(search_backend_for(settings), TantivySearchBackend)


def test_elasticsearch_needs_a_url(tmp_path: Path) -> None:
    settings = ResponseSettings(
        environment="test", var_dir=tmp_path, search_backend="elasticsearch"
    )

    with pytest.raises(ConfigurationError, match="ELASTICSEARCH_URL"):
        search_backend_for(settings)
