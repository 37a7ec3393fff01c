"""The delivered rule, in one place: a request whose owner has read answer N stays
`delivered` until an answer newer than N arrives.

Written twice on purpose, as the same rule: `stays_delivered` for a request already in hand
(a read, an import that compares) and `stays_delivered_clause` for a statement that must
check it at write time (an owner's read may commit between a look and the write).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from request_network.requests.models import Request, RequestStatus
from request_network.responses.models import Response


def stays_delivered(status: str, delivered_answer: int | None, answer_number: int) -> bool:
    """True if a request in `status` whose owner read `delivered_answer` keeps `delivered`
    when its response carries answer `answer_number`."""
    return (
        status == RequestStatus.DELIVERED
        and delivered_answer is not None
        and answer_number <= delivered_answer
    )


def stays_delivered_clause() -> ColumnElement[bool]:
    """`stays_delivered` over the `request` and `response` rows of a statement."""
    return and_(
        Request.status == RequestStatus.DELIVERED,
        Request.delivered_answer.is_not(None),
        Response.answer_number <= Request.delivered_answer,
    )
