"""The `sql` handler against a real SQLite file and the test PostgreSQL: parameters are bound
values, the session cannot write, a long query stops, results are capped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.errors import AirlockError, Invalid, Unavailable
from response_network.handlers import HandlerLimits, build_handler_registry, run_handler
from response_network.handlers.sql import SqlHandler, read_only_problem
from response_network.settings import ResponseSettings
from tests.conftest import Databases

ROWS = [(1, "pump"), (2, "valve"), (3, "pipe"), (4, "'; DROP TABLE item; --")]
LIMITS = HandlerLimits(max_results=2, timeout_seconds=5, max_answer_bytes=100_000)
BY_NAME = {"source": "parts", "query": "SELECT id, name FROM item WHERE name = :name"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def source_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}"
    else:
        url = await databases.empty_postgres()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"))
        await connection.execute(
            text("INSERT INTO item (id, name) VALUES (:id, :name)"),
            [{"id": i, "name": name} for i, name in ROWS],
        )
    await engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, source_url: str) -> ResponseSettings:
    return ResponseSettings(environment="test", var_dir=tmp_path, sql_sources={"parts": source_url})


async def run(
    settings: ResponseSettings,
    config: dict[str, Any],
    parameters: dict[str, Any],
    limits: HandlerLimits = LIMITS,
) -> Any:
    handler = build_handler_registry(settings, plugins=[]).get("sql")
    handler.validate_settings(config)
    answer = await run_handler(
        handler=handler, parameters=parameters, settings=config, limits=limits
    )
    return answer.body


async def count_items(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one()
    await engine.dispose()
    return int(count)


async def test_bound_parameters_find_rows(settings: ResponseSettings) -> None:
    body = await run(settings, BY_NAME, {"name": "valve", "ignored": "x"})
    assert body == {"columns": ["id", "name"], "rows": [[2, "valve"]], "truncated": False}


@pytest.mark.parametrize("attack", ["'; DROP TABLE item; --", "1 OR 1=1", "valve' OR '1'='1"])
async def test_injection_attempts_are_plain_values(
    settings: ResponseSettings, source_url: str, attack: str
) -> None:
    body = await run(settings, BY_NAME, {"name": attack})
    expected = [[4, attack]] if attack == ROWS[3][1] else []
    assert body["rows"] == expected
    assert await count_items(source_url) == len(ROWS)


async def test_results_are_capped_by_max_results(settings: ResponseSettings) -> None:
    config = {"source": "parts", "query": "SELECT id FROM item ORDER BY id"}
    body = await run(settings, config, {})
    assert (body["rows"], body["truncated"]) == ([[1], [2]], True)


async def test_the_session_is_read_only(settings: ResponseSettings, source_url: str) -> None:
    handler = build_handler_registry(settings, plugins=[]).get("sql")
    assert isinstance(handler, SqlHandler)
    # Past the definition-time check on purpose: the session itself must refuse to write.
    with pytest.raises(AirlockError):
        await handler.run_query(
            source="parts", query="DELETE FROM item", parameters={}, limits=LIMITS
        )
    assert await count_items(source_url) == len(ROWS)


async def test_a_missing_parameter_is_invalid(settings: ResponseSettings) -> None:
    with pytest.raises(Invalid) as raised:
        await run(settings, BY_NAME, {})
    assert raised.value.code == "invalid.parameters"


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM item",
        "SELECT 1; DROP TABLE item",
        "WITH gone AS (DELETE FROM item RETURNING id) SELECT * FROM gone",
        "SELECT * INTO copy FROM item",
        "SELECT 1 -- a comment",
        "PRAGMA query_only = OFF",
        "ATTACH DATABASE 'x.db' AS x",
        "",
    ],
)
def test_queries_that_are_not_one_read_only_statement_are_refused(query: str) -> None:
    assert read_only_problem(query) is not None


def test_read_only_queries_pass() -> None:
    assert read_only_problem("SELECT id, name FROM item WHERE name = :name;") is None
    assert read_only_problem("WITH x AS (SELECT 1 AS a) SELECT a FROM x") is None
    assert read_only_problem("SELECT 'delete; drop' AS words") is None


# SQLite has no statement timeout (the handler's own timeout covers it): PostgreSQL only.
@pytest.mark.parametrize("source_url", ["postgresql"], indirect=True)
async def test_postgresql_stops_a_query_at_the_statement_timeout(
    settings: ResponseSettings, source_url: str
) -> None:
    handler = build_handler_registry(settings, plugins=[]).get("sql")
    assert isinstance(handler, SqlHandler)
    limits = HandlerLimits(max_results=2, timeout_seconds=0.2, max_answer_bytes=1_000)
    with pytest.raises(Unavailable) as raised:
        await handler.run_query(
            source="parts",
            query="SELECT pg_sleep(:seconds)",
            parameters={"seconds": 5},
            limits=limits,
        )
    assert raised.value.code == "unavailable.sql"
