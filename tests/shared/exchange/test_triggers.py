"""Changes cross at once: the export runs right after the commit that made them (the after-
commit hook enqueues it) and the import on the inbox event. The schedules, set to an hour
here, stay the safety net and play no part."""

from __future__ import annotations

import pytest

from core.jobs import InProcessRunner, JobRegistry
from request_network.transfer.service import transfer_context as request_context
from response_network.transfer.service import transfer_context as response_context
from shared.exchange import jobs as transfer_jobs
from tests import waiting
from tests.shared.exchange.conftest import Networks


async def test_a_change_crosses_on_the_commit_and_the_inbox_event_not_the_schedule(
    networks: Networks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_jobs, "EXPORT_EVERY", 3600.0)
    monkeypatch.setattr(transfer_jobs, "IMPORT_EVERY", 3600.0)
    response_registry, request_registry = JobRegistry("response"), JobRegistry("request")
    transfer_jobs.register_transfer_jobs(response_registry, response_context)
    transfer_jobs.register_transfer_jobs(request_registry, request_context)
    response_jobs = InProcessRunner(response_registry, networks.response)
    request_jobs = InProcessRunner(request_registry, networks.request)
    # Each scheduled job runs once at start, then not for an hour. The inbox watch is in
    # place once its task first runs, which the database work below lets it do.
    await response_jobs.start()
    await request_jobs.start()
    try:
        ids = await networks.create_users(3)
        await response_jobs.enqueue("transfer_export")  # what the after-commit hook does

        async def replicated() -> bool:
            return set(await networks.replica()) == set(ids)

        await waiting.until(replicated, what="the users on the replica", timeout=10)
    finally:
        await response_jobs.stop()
        await request_jobs.stop()
