"""The `sql` handler: one read-only, parameterised query against a configured data source.

Settings: `source` (a name in the `sql_sources` setting) and `query` (one SELECT or WITH
statement, with named bind parameters `:name` taken only from the request's parameters).
Parameters are bound by the driver, never pasted into the text; the session is read-only
(SQLite `PRAGMA query_only`, PostgreSQL `SET TRANSACTION READ ONLY`) and time-limited.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import asyncpg
from pydantic_core import to_jsonable_python
from sqlalchemy import TextClause, text
from sqlalchemy.exc import DataError, DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from core.errors import Invalid, Unavailable
from response_network.handlers.base import Handler, HandlerAnswer, HandlerLimits

MAX_QUERY_LENGTH = 20_000
_DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, asyncpg.PostgresError)
_DRIVER_DATA_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.DataError,
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.SyntaxOrAccessError,
)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_WORD = re.compile(r"[A-Za-z_]+")
_WRITES = frozenset(
    {
        "alter", "attach", "call", "copy", "create", "delete", "detach", "drop", "execute",
        "grant", "insert", "into", "lock", "merge", "pragma", "revoke", "truncate", "update",
        "upsert", "vacuum",
    }
)  # fmt: skip
"""Words that only ever appear in statements that write or change the session."""


def read_only_problem(query: str) -> str | None:
    """Why `query` is not one read-only statement, or None. The read-only session is the
    guarantee; this check refuses at definition time what could never run."""
    if len(query) > MAX_QUERY_LENGTH:
        return f"the query is longer than {MAX_QUERY_LENGTH} characters"
    bare = _QUOTED.sub("''", query)
    if "--" in bare or "/*" in bare:
        return "comments are not allowed in the query"
    if "$" in bare:
        return "dollar quoting is not allowed in the query"
    bare = bare.strip().removesuffix(";").strip()
    if ";" in bare:
        return "the query must be a single statement"
    words = [word.lower() for word in _WORD.findall(bare)]
    if not words or words[0] not in {"select", "with", "values"}:
        return "the query must start with SELECT, WITH or VALUES"
    writes = sorted(set(words) & _WRITES)
    if writes:
        return f"the query must not contain {', '.join(w.upper() for w in writes)}"
    return None


def _statement(query: str) -> TextClause:
    return text(query)


def _scalar(name: str, value: Any) -> Any:
    if isinstance(value, dict | list):
        raise Invalid(f"parameter {name!r} must be a single value", code="invalid.parameters")
    return value


class SqlHandler(Handler):
    name = "sql"

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        unknown = sorted(set(settings) - {"source", "query"})
        if unknown:
            raise Invalid(
                f"unknown sql settings: {', '.join(unknown)}", code="invalid.handler_settings"
            )
        source, query = settings.get("source"), settings.get("query")
        if not isinstance(source, str) or source not in self.app_settings.sql_sources:
            known = ", ".join(sorted(self.app_settings.sql_sources)) or "none configured"
            raise Invalid(
                f"source must name a configured data source ({known})",
                code="invalid.handler_settings",
            )
        if not isinstance(query, str) or not query.strip():
            raise Invalid("query must be a non-empty string", code="invalid.handler_settings")
        problem = read_only_problem(query)
        if problem is not None:
            raise Invalid(problem, code="invalid.sql_query")

    async def run(
        self, *, parameters: Mapping[str, Any], settings: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        self.validate_settings(settings)
        return await self.run_query(
            source=settings["source"], query=settings["query"], parameters=parameters, limits=limits
        )

    async def run_query(
        self, *, source: str, query: str, parameters: Mapping[str, Any], limits: HandlerLimits
    ) -> HandlerAnswer:
        """Bind and run `query` in a read-only session (`run` checks the settings first)."""
        statement = _statement(query)
        missing = [name for name in statement._bindparams if name not in parameters]
        if missing:
            raise Invalid(
                f"missing parameters for the query: {', '.join(missing)}",
                code="invalid.parameters",
            )
        values = {name: _scalar(name, parameters[name]) for name in statement._bindparams}
        engine = create_async_engine(self.app_settings.sql_sources[source], poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await self._query(connection, statement, values, limits)
        except (DataError, ProgrammingError) as exc:
            raise Invalid(
                f"the data source refused the query: {type(exc.orig).__name__}",
                code="invalid.parameters",
            ) from None
        except DBAPIError as exc:
            raise Unavailable(
                f"the data source failed: {type(exc.orig).__name__}", code="unavailable.sql"
            ) from None
        except _DRIVER_ERRORS as exc:
            # asyncpg raises its own errors from a streamed cursor, unwrapped by SQLAlchemy.
            refused = isinstance(exc, _DRIVER_DATA_ERRORS)
            raise (Invalid if refused else Unavailable)(
                f"the data source {'refused the query' if refused else 'failed'}: "
                f"{type(exc).__name__}",
                code="invalid.parameters" if refused else "unavailable.sql",
            ) from None
        finally:
            await engine.dispose()

    async def _query(
        self,
        connection: AsyncConnection,
        statement: TextClause,
        values: dict[str, Any],
        limits: HandlerLimits,
    ) -> HandlerAnswer:
        transaction = await connection.begin()
        try:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET TRANSACTION READ ONLY"))
                timeout_ms = max(1, int(limits.timeout_seconds * 1000))
                await connection.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
            elif connection.dialect.name == "sqlite":
                await connection.execute(text("PRAGMA query_only = ON"))
            result = await connection.stream(statement, values)
            columns = list(result.keys())
            rows = await result.fetchmany(limits.max_results + 1)
            await result.close()
        finally:
            await transaction.rollback()
        truncated = len(rows) > limits.max_results
        body = {
            "columns": columns,
            "rows": [
                to_jsonable_python(list(row), fallback=str) for row in rows[: limits.max_results]
            ],
            "truncated": truncated,
        }
        return HandlerAnswer(body=body)
