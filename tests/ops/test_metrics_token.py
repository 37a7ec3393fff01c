"""`/metrics` on the exposed network answers only its scraper: the token, or a port of its own.

The request network refuses every scrape on the API's port until a token is set; the response
network serves it openly unless it is given a token too.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from request_network.app import create_app as create_request_app
from request_network.jobs import registry as request_registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.conftest import METRICS_AUTH, METRICS_TOKEN
from tests.ops.test_metrics import build_app, get, sample
from tests.services import free_port


async def test_the_request_network_serves_metrics_only_to_the_token(
    request_client: httpx.AsyncClient,
) -> None:
    anonymous = await request_client.get("/metrics")
    wrong = await request_client.get("/metrics", headers={"Authorization": "Bearer guess" * 4})
    not_bearer = await request_client.get(
        "/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}
    )
    scraped = await request_client.get("/metrics", headers=METRICS_AUTH)

    for refused in (anonymous, wrong, not_bearer):
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthorized.metrics"
        assert "airlock_" not in refused.text
    assert scraped.status_code == 200
    assert sample(scraped.text, "airlock_http_requests_total", route="/metrics", status="401") == 3


async def test_without_a_token_the_request_network_refuses_every_scrape(
    request_settings: RequestSettings,
) -> None:
    settings = request_settings.model_copy(update={"metrics_token": SecretStr("")})
    app = create_request_app(settings, RequestRuntime.build(settings, request_registry))
    async with app.router.lifespan_context(app):
        anonymous = await get(app, "/metrics")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            empty_bearer = await client.get("/metrics", headers={"Authorization": "Bearer "})

    assert (anonymous.status_code, empty_bearer.status_code) == (401, 401)


async def test_the_response_network_is_open_unless_given_a_token(
    response_client: httpx.AsyncClient, response_settings: ResponseSettings
) -> None:
    assert (await response_client.get("/metrics")).status_code == 200

    guarded = response_settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    app = create_response_app(guarded, ResponseRuntime.build(guarded, response_registry))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            anonymous = await client.get("/metrics")
            scraped = await client.get("/metrics", headers=METRICS_AUTH)

    assert anonymous.status_code == 401
    assert scraped.status_code == 200


async def test_a_required_token_does_not_guard_the_metrics_port(tmp_path: Path) -> None:
    """A port of its own is the other way to keep metrics off the users' side."""
    port = free_port()
    app = build_app(
        tmp_path, metrics_token_required=True, metrics_port=port, metrics_host="127.0.0.1"
    )
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient() as client:
            on_port = await client.get(f"http://127.0.0.1:{port}/metrics")
        on_api = await get(app, "/metrics")

    assert (on_port.status_code, on_api.status_code) == (200, 404)


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        RequestSettings(metrics_token="short")
