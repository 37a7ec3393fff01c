"""The `responses` stream, exported: the master's state and latest answer of each request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from response_network.responses.models import Response
from shared.streams import RESPONSES_STREAM, OutboundStream, load_changed


def _response_record(response: Response) -> dict[str, Any]:
    return {
        "kind": "response",
        "id": response.id,
        "status": response.status,
        "reason": response.reason,
        "body": response.body,
        "content_type": response.content_type,
        "answer_number": response.answer_number,
        "answered_by": response.answered_by,
        "answered_at": response.answered_at,
        "updated_at": response.updated_at,
        "version": response.version,
    }


async def load_response_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """The current state and answer of each changed request."""
    return await load_changed(session, refs, (("response", Response, _response_record),))


RESPONSES_OUT = OutboundStream(RESPONSES_STREAM, load_response_records, models=(Response,))
