"""Webhook delivery against a real HTTP server standing for the operators' system."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from core.db import utcnow
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from response_network.settings import ResponseSettings
from shared.exchange.files import requeue
from shared.platform.runtime import NetworkRuntime
from tests.ops.test_alerts_rules import quarantine_junk
from tests.ops.test_alerts_support import alerts, context_of, evaluate
from tests.services import free_port
from tests.shared.exchange.conftest import exchange_keys

RETRY = 0.2
"""Seconds before the first retry in these tests (30 by default)."""


class Receiver(ThreadingHTTPServer):
    """Records every POST; answers `status`, after `delay` seconds."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


class Webhook:
    """A port for the webhook; the receiver listens on it only while started."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/airlock?token=s3cret"
        self.server: Receiver | None = None

    def start(self) -> Receiver:
        self.server = Receiver(self.port)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
async def quarantined(
    request_runtime: RequestRuntime,
    request_settings: RequestSettings,
    response_settings: ResponseSettings,
) -> str:
    """A condition to alert on: a refused batch in the request network's quarantine."""
    exchange_keys(response_settings, request_settings)
    return await quarantine_junk(request_runtime, "junk.tar")


def settings_for(webhook: Webhook) -> dict[str, Any]:
    return {
        "alert_webhook_url": webhook.url,
        "alert_webhook_retry_base_seconds": RETRY,
        "alert_webhook_retry_max_seconds": 3 * RETRY,
        # Generous: a loaded machine can stall a local connect past a second (it did once).
        "alert_webhook_timeout_seconds": 10.0,
    }


async def evaluate_with(runtime: NetworkRuntime[Any], webhook: Webhook, **extra: Any) -> Any:
    changed = {**settings_for(webhook), **extra}
    changed["alert_webhook_url"] = SecretStr(changed["alert_webhook_url"])
    return await evaluate(runtime, **changed)


async def test_new_and_resolved_alerts_are_posted_as_json(
    request_runtime: RequestRuntime, quarantined: str, webhook: Webhook
) -> None:
    receiver = webhook.start()

    result = await evaluate_with(request_runtime, webhook)

    [alert] = await alerts(request_runtime, "quarantine")
    assert (result.deliveries.delivered, alert.delivery_state) == (1, "delivered")
    [sent] = receiver.received
    assert (sent["event"], sent["network"]) == ("alert.opened", "request")
    assert sent["alert"]["id"] == str(alert.id)
    assert (sent["alert"]["rule"], sent["alert"]["subject"]) == ("quarantine", quarantined)
    assert sent["alert"]["details"]["code"] == "batch.format"

    await evaluate_with(request_runtime, webhook)  # still open: nothing new to say
    assert len(receiver.received) == 1

    ctx = context_of(request_runtime)
    requeue(quarantined, ctx.quarantine_dir, ctx.inbox_dir)
    await evaluate_with(request_runtime, webhook)
    assert [m["event"] for m in receiver.received] == ["alert.opened", "alert.resolved"]
    assert receiver.received[1]["alert"]["resolved_at"] is not None
    [alert] = await alerts(request_runtime, "quarantine")
    assert (alert.state, alert.delivery_state) == ("resolved", "delivered")


async def test_a_webhook_that_is_down_is_retried_until_it_takes_the_alert(
    request_runtime: RequestRuntime, quarantined: str, webhook: Webhook
) -> None:
    # Ample time to look before the retry.
    wait = {"alert_webhook_retry_base_seconds": 1.0, "alert_webhook_retry_max_seconds": 1.0}
    before = utcnow()
    result = await evaluate_with(request_runtime, webhook, **wait)  # nothing listens: refused

    assert result.deliveries.failed == 1
    [alert] = await alerts(request_runtime, "quarantine")
    assert (alert.state, alert.delivery_state) == ("open", "pending")
    assert (alert.delivery_attempts, alert.delivery_error) == (1, "ConnectError")
    assert alert.next_delivery_at is not None
    assert alert.next_delivery_at >= before + timedelta(seconds=1)

    receiver = webhook.start()
    await evaluate_with(request_runtime, webhook, **wait)  # not due yet: no second try
    [alert] = await alerts(request_runtime, "quarantine")
    assert (alert.delivery_attempts, receiver.received) == (1, [])

    assert alert.next_delivery_at is not None
    time.sleep(max(0.0, (alert.next_delivery_at - utcnow()).total_seconds()) + 0.05)
    await evaluate_with(request_runtime, webhook, **wait)
    [alert] = await alerts(request_runtime, "quarantine")
    assert alert.delivery_state == "delivered"
    assert alert.delivery_error is None
    assert [m["alert"]["id"] for m in receiver.received] == [str(alert.id)]


async def test_a_webhook_answering_500_is_retried_with_a_growing_wait(
    request_runtime: RequestRuntime, quarantined: str, webhook: Webhook
) -> None:
    receiver = webhook.start()
    receiver.status = 500
    # 0.2 s, then doubled to 0.4 s, then capped at 0.6 s.
    for attempt, wait in ((1, RETRY), (2, 2 * RETRY), (3, 3 * RETRY)):
        started = utcnow()
        await evaluate_with(request_runtime, webhook)
        finished = utcnow()
        [alert] = await alerts(request_runtime, "quarantine")
        assert (alert.delivery_attempts, alert.delivery_error) == (attempt, "HTTP 500")
        assert alert.next_delivery_at is not None
        delay = timedelta(seconds=wait)
        assert started + delay <= alert.next_delivery_at <= finished + delay
        time.sleep(max(0.0, (alert.next_delivery_at - utcnow()).total_seconds()) + 0.05)
    assert len(receiver.received) == 3

    receiver.status = 204
    await evaluate_with(request_runtime, webhook)
    [alert] = await alerts(request_runtime, "quarantine")
    assert alert.delivery_state == "delivered"
    assert len(receiver.received) == 4


async def test_a_webhook_too_slow_to_answer_counts_as_a_failed_try(
    request_runtime: RequestRuntime, quarantined: str, webhook: Webhook
) -> None:
    receiver = webhook.start()
    receiver.delay = 0.5

    await evaluate_with(request_runtime, webhook, alert_webhook_timeout_seconds=0.1)

    [alert] = await alerts(request_runtime, "quarantine")
    # The receiver answers late: a ReadTimeout; on a loaded machine even connecting may take
    # longer than 0.1 s (ConnectTimeout). Either way the try failed for its time.
    assert alert.delivery_state == "pending"
    assert alert.delivery_error in ("ReadTimeout", "ConnectTimeout")
    assert webhook.url not in (alert.delivery_error or "")


async def test_after_one_failure_the_rest_waits_for_the_next_run(
    request_runtime: RequestRuntime, quarantined: str, webhook: Webhook
) -> None:
    await quarantine_junk(request_runtime, "more-junk.tar")

    result = await evaluate_with(request_runtime, webhook)  # down: one try, not two

    assert (result.deliveries.failed, result.deliveries.left) == (1, 1)
    attempts = sorted(alert.delivery_attempts for alert in await alerts(request_runtime))
    assert attempts == [0, 1]
