"""Reading answers: through the cache, delivering an answer on its owner's first read.

A request's status follows its response (the master's word), with one local rule: an answer
its owner has read stays `delivered` until a newer answer (higher `answer_number`) arrives.
The `responses` import applies that rule and writes the status (`responses/stream.py`), so
`GET /requests/{id}` only reads. Reading an answer writes on purpose: the owner's first read
is what `delivered` means. That read also settles a request written out of step with its
response (a response that arrived before its request, as after restoring a database), since
it must serve that response's answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import after_commit, utcnow
from core.errors import NotFound
from request_network.requests.models import Request, RequestEvent, RequestStatus
from request_network.responses.cache import CachedAnswer, Fill, ResponseCache
from request_network.responses.delivery import stays_delivered
from request_network.responses.models import Response
from request_network.responses.schemas import ResponseRead
from request_network.users.models import User
from shared.principals import ensure_owner_or_admin

ANSWER_STATUSES = frozenset(
    {RequestStatus.ANSWERED, RequestStatus.FAILED, RequestStatus.REJECTED, RequestStatus.DELIVERED}
)
"""Statuses whose request has an answer to read."""


def settled_status(
    status: str, delivered_answer: int | None, response: Response | None
) -> RequestStatus:
    """The status a request must have, given its response."""
    if response is None:
        return RequestStatus(status)
    if stays_delivered(status, delivered_answer, response.answer_number):
        return RequestStatus.DELIVERED
    return RequestStatus(response.status)


def render_answer(
    *, request_id: uuid.UUID, owner_id: uuid.UUID, status: RequestStatus, response: Response
) -> CachedAnswer:
    body = ResponseRead(
        request_id=request_id,
        status=status,
        answer_number=response.answer_number,
        content_type=response.content_type,
        body=response.body,
        reason=response.reason,
        answered_at=response.answered_at,
        answered_by=response.answered_by,
    )
    return CachedAnswer(
        owner_id=owner_id,
        answer_number=response.answer_number,
        deliverable=status == RequestStatus.ANSWERED,
        body=body.model_dump_json().encode(),
    )


def delivered_answer(entry: CachedAnswer) -> CachedAnswer:
    answer = ResponseRead.model_validate_json(entry.body)
    answer = answer.model_copy(update={"status": RequestStatus.DELIVERED})
    return CachedAnswer(
        owner_id=entry.owner_id,
        answer_number=entry.answer_number,
        deliverable=False,
        body=answer.model_dump_json().encode(),
    )


@dataclass(frozen=True)
class Snapshot:
    """A request and its response as the database holds them."""

    request_id: uuid.UUID
    owner_id: uuid.UUID
    stored_status: RequestStatus
    status: RequestStatus
    """`settled_status`: differs from `stored_status` when the two were written out of step."""
    reason: str | None
    answer: CachedAnswer | None
    """The rendered answer, when the status has one."""

    @property
    def settled(self) -> bool:
        return self.status == self.stored_status


async def load_snapshot(*, session: AsyncSession, request_id: uuid.UUID) -> Snapshot | None:
    row = (
        await session.execute(
            select(Request.owner_id, Request.status, Request.delivered_answer, Response)
            .outerjoin(Response, Response.id == Request.id)
            .where(Request.id == request_id)
        )
    ).one_or_none()
    if row is None:
        return None
    owner_id, stored, delivered, response = row
    status = settled_status(stored, delivered, response)
    answer = None
    if response is not None and status in ANSWER_STATUSES:
        answer = render_answer(
            request_id=request_id, owner_id=owner_id, status=status, response=response
        )
    return Snapshot(
        request_id=request_id,
        owner_id=owner_id,
        stored_status=RequestStatus(stored),
        status=status,
        reason=response.reason if response is not None else None,
        answer=answer,
    )


async def _move(
    session: AsyncSession,
    request_id: uuid.UUID,
    *,
    expected: RequestStatus,
    status: RequestStatus,
    values: dict[str, Any],
    reason: str | None = None,
) -> bool:
    """Change the status if it still is `expected`, with its event; False if it was not.

    Conditional, so concurrent readers moving one request make one change and one event.
    """
    now = utcnow()
    result = await session.execute(
        update(Request)
        .where(Request.id == request_id, Request.status == expected)
        .values(status=status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], result).rowcount:
        return False
    session.add(RequestEvent(request_id=request_id, status=status, at=now, reason=reason))
    return True


async def settle(*, session: AsyncSession, snapshot: Snapshot) -> bool:
    """Bring the request's status in line with its response; True if this call moved it."""
    if snapshot.settled:
        return False
    return await _move(
        session,
        snapshot.request_id,
        expected=snapshot.stored_status,
        status=snapshot.status,
        values={"status_reason": snapshot.reason},
        reason=snapshot.reason,
    )


def _ensure_visible(viewer: User, owner_id: uuid.UUID) -> None:
    ensure_owner_or_admin(
        viewer, owner_id, missing=NotFound("no such request", code="not_found.request")
    )


@dataclass(frozen=True)
class ServedAnswer:
    body: bytes
    """The JSON to send as it is."""
    hit: bool


async def read_answer(
    *, session: AsyncSession, cache: ResponseCache, viewer: User, request_id: uuid.UUID
) -> ServedAnswer:
    """The answer to a request its viewer owns (or any, for an admin).

    A hit needs no database. A miss loads once however many read at the same time. The
    owner's first read of an answer moves the request to `delivered` (one event) and updates
    the entry, so later hits stay off the database; an admin reading delivers nothing.
    Not answered yet: 404 `not_answered` with the current status.
    """
    entry = await cache.lookup(request_id)
    hit = entry is not None
    if entry is None:

        async def load() -> Fill[Snapshot | None]:
            snapshot = await load_snapshot(session=session, request_id=request_id)
            if snapshot is None or not snapshot.settled:
                return Fill(snapshot)
            return Fill(snapshot, snapshot.answer)

        found = await cache.load(request_id, load)
        entry = await _answer(session, viewer, found)
    _ensure_visible(viewer, entry.owner_id)
    if entry.deliverable and entry.owner_id == viewer.id:
        entry = await _deliver(session, cache, request_id, entry)
    return ServedAnswer(entry.body, hit)


async def _answer(
    session: AsyncSession, viewer: User, found: Snapshot | CachedAnswer | None
) -> CachedAnswer:
    if found is None:
        raise NotFound("no such request", code="not_found.request")
    if isinstance(found, CachedAnswer):
        return found
    _ensure_visible(viewer, found.owner_id)
    await settle(session=session, snapshot=found)
    if found.answer is None:
        state = (
            "was cancelled" if found.status == RequestStatus.CANCELLED else "is not answered yet"
        )
        raise NotFound(
            f"the request {state} (it is {found.status.value})",
            code="not_answered",
            extra={"status": found.status.value},
        )
    return found.answer


async def _deliver(
    session: AsyncSession, cache: ResponseCache, request_id: uuid.UUID, entry: CachedAnswer
) -> CachedAnswer:
    # A deliberate write on a read: `delivered` means "its owner read it", and only this read
    # can know that. Conditional, so concurrent first reads record one delivery.
    await _move(
        session,
        request_id,
        expected=RequestStatus.ANSWERED,
        status=RequestStatus.DELIVERED,
        values={"delivered_answer": entry.answer_number},
    )
    delivered = delivered_answer(entry)

    async def update_entry() -> None:
        await cache.swap(request_id, entry, delivered)

    after_commit(session, update_entry)
    return delivered
