"""A small demo index (200 fictional equipment records) so a new install can search at once."""

from __future__ import annotations

from pathlib import Path

from response_network.search.backend import SearchBackend
from response_network.search.documents import read_jsonl
from response_network.search.query import IndexSchema

DEMO_FILE = Path(__file__).with_name("equipment.jsonl")
DEMO_SCHEMA = IndexSchema(
    name="equipment",
    text_fields=("title", "summary"),
    filter_fields=("category", "site", "status", "year", "maker"),
    sort_fields=("year", "weight_kg", "title"),
)


async def load_demo(backend: SearchBackend) -> int:
    """Create the `equipment` index if needed and upsert the demo records (idempotent)."""
    await backend.create_index(schema=DEMO_SCHEMA)
    return await backend.load(index=DEMO_SCHEMA.name, documents=read_jsonl(DEMO_FILE))
