"""deploy/prometheus/alerts.yml: the same rules as the built-in evaluation, over metrics the
networks really export (read from a running app's /metrics, not from a list)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from core.db import utcnow
from request_network.jobs import registry as request_registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from shared.exchange.export import send_heartbeat_if_quiet
from shared.exchange.importing import import_pending
from shared.platform.alerts.rules import Rule
from shared.platform.runtime import NetworkRuntime
from tests.conftest import METRICS_AUTH
from tests.ops.test_alerts_support import context_of, evaluate
from tests.shared.exchange.conftest import exchange_keys

ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\bairlock_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


@pytest.fixture
def backend() -> str:
    """The exported names do not depend on the backend: the embedded one is enough."""
    return "embedded"


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES_FILE.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


async def exported_names(client: httpx.AsyncClient, runtime: NetworkRuntime[Any]) -> set[str]:
    """Sample names a network's /metrics offers once it has evaluated and answered."""
    await evaluate(runtime)
    assert (await client.get("/health")).status_code == 200
    answer = await client.get("/metrics", headers=METRICS_AUTH)
    assert answer.status_code == 200
    names: set[str] = set()
    for family in text_string_to_metric_families(answer.text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


async def test_every_metric_the_rules_use_is_exported_by_both_networks(
    rules: list[dict[str, Any]],
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
) -> None:
    used = {name for rule in rules for name in METRIC.findall(rule["expr"])}
    assert used, "the rules name no Airlock metric"
    for client, runtime in ((response_client, response_runtime), (request_client, request_runtime)):
        missing = used - await exported_names(client, runtime)
        assert missing == set(), f"{runtime.settings.network_name} does not export {missing}"


def test_the_file_carries_the_same_rules_as_the_evaluation(rules: list[dict[str, Any]]) -> None:
    assert {rule["labels"]["rule"] for rule in rules} == {rule.value for rule in Rule}
    for rule in rules:
        assert rule["alert"].startswith("Airlock")
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
        assert METRIC.search(rule["expr"]), rule["alert"]


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


async def test_the_metrics_follow_the_state_at_each_scrape(
    request_client: httpx.AsyncClient,
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
    response_settings: ResponseSettings,
) -> None:
    exchange_keys(response_settings, request_settings)
    before = (await request_client.get("/metrics", headers=METRICS_AUTH)).text
    assert sample(before, "airlock_transfer_quarantined_batches") == 0
    assert sample(before, "airlock_worker_heartbeat_timestamp_seconds") is None

    ctx = context_of(request_runtime)
    ctx.inbox_dir.mkdir(parents=True, exist_ok=True)
    (ctx.inbox_dir / "junk.tar").write_bytes(b"junk")
    await import_pending(ctx)
    [sent] = (await send_heartbeat_if_quiet(ctx) or pytest.fail("nothing sent")).batches
    await request_registry.get("heartbeat").function(request_runtime)
    await evaluate(request_runtime)

    after = (await request_client.get("/metrics", headers=METRICS_AUTH)).text
    assert sample(after, "airlock_transfer_quarantined_batches") == 1
    assert sample(after, "airlock_alerts_open", rule="quarantine") == 1
    assert sample(after, "airlock_alerts_open", rule="gap") == 0
    unacknowledged = "airlock_stream_oldest_unacknowledged_timestamp_seconds"
    oldest = sample(after, unacknowledged, stream="control")
    assert oldest == pytest.approx(sent.created_at.timestamp(), abs=1)
    beat = sample(after, "airlock_worker_heartbeat_timestamp_seconds")
    assert beat == pytest.approx(utcnow().timestamp(), abs=60)
    ratio = sample(after, "airlock_transfer_disk_used_ratio")
    assert ratio is not None
    assert 0 < ratio < 1
