"""The master's clock hours off the replica's: its batches carry `Created-At` from its own
clock. Nothing the replica accepts or alerts on may depend on comparing that with its own."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from core.db import utcnow
from shared.exchange.export import export_stream
from shared.exchange.importing import ImportStatus, import_pending
from tests.ops.test_alerts_support import evaluate, open_alerts
from tests.shared.exchange.conftest import Networks

SKEWS = {"ahead": timedelta(hours=5), "behind": timedelta(hours=-5)}


@pytest.fixture
def backend() -> str:
    return "embedded"


@pytest.mark.parametrize("skew", SKEWS.values(), ids=list(SKEWS))
async def test_batches_stamped_by_a_skewed_peer_clock_are_applied_in_order_without_lag_alerts(
    networks: Networks, skew: timedelta
) -> None:
    master = dataclasses.replace(networks.response_ctx, clock=lambda: utcnow() + skew)
    first = await networks.create_users(2)
    await export_stream(master, "users")
    second = await networks.create_users(2)
    await export_stream(master, "users")

    results = await import_pending(networks.request_ctx)

    assert [(r.sequence, r.status) for r in results] == [
        (1, ImportStatus.APPLIED),
        (2, ImportStatus.APPLIED),
    ]
    assert set(await networks.replica()) == {*first, *second}
    # Delivered in milliseconds: the skew is no lag (a peer behind would look 5 h late).
    await evaluate(networks.request, alert_stream_lag_minutes=1)
    assert await open_alerts(networks.request, "stream_lag") == []
