"""What the request network shows of the catalog: enough for a client to build a form."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from request_network.schemas import Schema


class RequestTypeRead(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "equipment_search",
                    "title": "Equipment search",
                    "description": "Equipment matching a text, at one site or all.",
                    "parameter_schema": {
                        "type": "object",
                        "properties": {
                            "q": {"type": "string", "minLength": 1},
                            "site": {"type": "string"},
                        },
                        "required": ["q"],
                        "additionalProperties": False,
                    },
                    "expected_answer_seconds": 60,
                    "version": 2,
                }
            ]
        }
    )

    name: str
    title: str
    description: str
    parameter_schema: dict[str, Any]
    """JSON Schema of the `parameters` a request of this kind must carry."""
    expected_answer_seconds: int
    version: int
