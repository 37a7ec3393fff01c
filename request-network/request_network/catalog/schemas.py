"""What the request network shows of the catalog: enough for a client to build a form."""

from __future__ import annotations

from typing import Any

from request_network.schemas import Schema


class RequestTypeRead(Schema):
    name: str
    title: str
    description: str
    parameter_schema: dict[str, Any]
    """JSON Schema of the `parameters` a request of this kind must carry."""
    expected_answer_seconds: int
    version: int
