"""`airlock-response index ...`: create, load, list and try search indexes from a terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from core.errors import AirlockError
from core.process import fail
from response_network.search.backend import SearchBackend, search_backend_for
from response_network.search.demo import load_demo
from response_network.search.documents import read_jsonl
from response_network.search.query import IndexSchema, SearchQuery
from response_network.settings import ResponseSettings

ResultT = TypeVar("ResultT")

console = Console(stderr=True)


def _run(
    settings: Callable[[], ResponseSettings], work: Callable[[SearchBackend], Awaitable[ResultT]]
) -> ResultT:
    """Run `work` against the configured backend; a domain error exits with its message."""

    async def main() -> ResultT:
        backend = search_backend_for(settings())
        try:
            return await work(backend)
        finally:
            await backend.close()

    try:
        return asyncio.run(main())
    except AirlockError as exc:
        fail(f"{exc.detail} ({exc.code})", code=1)


def _filter_value(text: str) -> Any:
    """`year=2001` filters on the number 2001, `site=harbour` on the string."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def make_index_cli(settings: Callable[[], ResponseSettings]) -> typer.Typer:
    index_app = typer.Typer(help="Search indexes for the `search` handler.", no_args_is_help=True)

    @index_app.command("load")
    def load(
        name: str,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        text_field: Annotated[
            list[str] | None, typer.Option(help="Searched as text (creates the index)")
        ] = None,
        filter_field: Annotated[list[str] | None, typer.Option(help="Term/range filters")] = None,
        sort_field: Annotated[list[str] | None, typer.Option(help="Allowed sort keys")] = None,
    ) -> None:
        """Upsert the documents of FILE (JSON Lines, each with an `id`) into index NAME."""
        schema = None
        if text_field:
            schema = IndexSchema(
                name=name,
                text_fields=tuple(text_field),
                filter_fields=tuple(filter_field or ()),
                sort_fields=tuple(sort_field or ()),
            )
        size = file.stat().st_size
        with Progress(
            TextColumn("loading {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            # A bar only for a person at a terminal: its refresh thread redraws for nobody in a
            # pipe, and under a captured stdout it was seen spinning a core for good.
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task(name, total=size)

            def documents() -> Iterator[dict[str, Any]]:
                for document in read_jsonl(file):
                    yield document
                    progress.advance(task, len(orjson.dumps(document)) + 1)
                progress.update(task, completed=size)

            async def work(backend: SearchBackend) -> int:
                if schema is not None:
                    await backend.create_index(schema=schema)
                return await backend.load(index=name, documents=documents())

            count = _run(settings, work)
        console.print(f"loaded {count} documents into [bold]{name}[/]")

    @index_app.command("search")
    def search(
        name: str,
        text: str,
        filter_: Annotated[
            list[str] | None, typer.Option("--filter", help="field=value, repeatable")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    ) -> None:
        """Search index NAME for TEXT and print the best hits."""
        terms = {}
        for pair in filter_ or ():
            field, sep, value = pair.partition("=")
            if not sep:
                fail(f"--filter needs field=value, got {pair!r}")
            terms[field] = _filter_value(value)
        try:
            query = SearchQuery(text=text, terms=terms, limit=limit)
        except ValueError as exc:
            fail(str(exc).splitlines()[0])

        result = _run(settings, lambda backend: backend.search(index=name, query=query))
        table = Table("id", "score", "document", title=f"{result.total} matches")
        for hit in result.hits:
            score = "" if hit["score"] is None else f"{hit['score']:.2f}"
            table.add_row(hit["id"], score, orjson.dumps(hit["source"]).decode()[:120])
        Console(width=200).print(table)

    @index_app.command("list")
    def list_indexes() -> None:
        """List the indexes with their document counts and fields."""
        table = Table("index", "documents", "text fields", "filter fields", "sort fields")
        for info in _run(settings, lambda backend: backend.indexes()):
            fields = info.schema
            table.add_row(
                info.name,
                str(info.documents),
                ", ".join(fields.text_fields) if fields else "",
                ", ".join(fields.filter_fields) if fields else "",
                ", ".join(fields.sort_fields) if fields else "",
            )
        Console(width=200).print(table)

    @index_app.command("demo")
    def demo() -> None:
        """Load the demo `equipment` index (200 fictional records; idempotent)."""
        count = _run(settings, load_demo)
        console.print(f"loaded {count} demo documents into [bold]equipment[/]")

    return index_app
