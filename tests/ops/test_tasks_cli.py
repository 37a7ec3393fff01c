"""`airlock-response tasks`: the tasks overview as a table, from a terminal."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from core.jobs import run_job
from response_network.cli import app
from response_network.jobs import registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.terminal import logging_restored


@pytest.fixture
def cli(
    response_settings: ResponseSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRLOCK_RESPONSE_DATABASE_URL", response_settings.database_url)
    monkeypatch.setenv("AIRLOCK_RESPONSE_VAR_DIR", str(response_settings.var_dir))
    monkeypatch.setenv("AIRLOCK_RESPONSE_TRANSFER_DIR", str(response_settings.transfer_dir))
    if response_settings.redis_url:
        monkeypatch.setenv("AIRLOCK_RESPONSE_REDIS_URL", response_settings.redis_url)
    with logging_restored():
        yield CliRunner()


def test_tasks_lists_every_job_with_its_schedule(
    cli: CliRunner, backend: str, response_settings: ResponseSettings, redis_url: str
) -> None:
    """`redis_url` empties the Redis the production backend uses: no queue or run left over."""

    async def run_heartbeat() -> None:
        runtime = ResponseRuntime.build(response_settings, registry, start_scheduler=False)
        try:
            await run_job(registry.get("heartbeat"), runtime, {})
        finally:
            await runtime.close()

    asyncio.run(run_heartbeat())
    result = cli.invoke(app, ["tasks", "--timeout", "0.2"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if "response." in line}
    assert set(rows) == set(registry.jobs)
    assert "every 10s" in rows["response.heartbeat"]
    assert "on demand" in rows["response.answer_requests"]
    if backend == "production":
        # The run above went to Redis, where this process reads it back.
        assert "ok" in rows["response.heartbeat"]
        assert "queue airlock.response: 0 waiting" in result.output
        assert "no worker answered within 0.2 s" in result.output
    else:
        # Embedded, runs are kept in the memory of the process that ran them.
        assert "never" in rows["response.heartbeat"]
        assert "GET /admin/tasks" in result.output
