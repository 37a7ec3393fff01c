"""The generated client (`airlock_client`) against the request network in process: log in,
list types, submit, poll, read the answer, cancel, and a 429 with its Retry-After."""

from __future__ import annotations

from airlock_client import AuthenticatedClient, Client
from airlock_client.api.auth import log_in
from airlock_client.api.catalog import list_request_types
from airlock_client.api.requests import cancel_request, get_request, submit_request
from airlock_client.api.responses import read_response
from airlock_client.models import (
    BodyLogIn,
    Error,
    RequestCreate,
    RequestCreateParameters,
    RequestDetail,
    RequestRead,
    RequestStatus,
    ResponseRead,
    TokenRead,
)

from tests.clients.conftest import BASE_URL, PASSWORD, USERNAME, System


async def logged_in(system: System) -> AuthenticatedClient:
    anonymous = Client(base_url=BASE_URL, httpx_args={"transport": system.transport})
    token = await log_in.asyncio(
        client=anonymous, body=BodyLogIn(username=USERNAME, password=PASSWORD)
    )
    assert isinstance(token, TokenRead)
    return AuthenticatedClient(
        base_url=BASE_URL, token=token.access_token, httpx_args={"transport": system.transport}
    )


def echo(message: str) -> RequestCreate:
    return RequestCreate(
        request_type="echo", parameters=RequestCreateParameters.from_dict({"message": message})
    )


async def test_submit_poll_and_read_the_answer(system: System) -> None:
    client = await logged_in(system)
    types = await list_request_types.asyncio(client=client)
    assert isinstance(types, list)
    submitted = await submit_request.asyncio(client=client, body=echo("hello"))
    assert isinstance(submitted, RequestRead)

    before = await read_response.asyncio_detailed(client=client, request_id=submitted.id)
    await system.move()
    polled = await get_request.asyncio(client=client, request_id=submitted.id)
    answer = await read_response.asyncio(client=client, request_id=submitted.id)

    assert [item.name for item in types] == ["echo"]
    assert types[0].parameter_schema["required"] == ["message"]
    assert submitted.status == RequestStatus.PENDING
    assert isinstance(before.parsed, Error)
    assert (before.status_code, before.parsed.code) == (404, "not_answered")
    assert isinstance(polled, RequestDetail)
    assert polled.status == RequestStatus.ANSWERED
    assert isinstance(answer, ResponseRead)
    assert (answer.status, answer.body) == (RequestStatus.DELIVERED, {"message": "hello"})


async def test_a_cancelled_request_and_a_rate_limited_one(system: System) -> None:
    client = await logged_in(system)
    first = await submit_request.asyncio(client=client, body=echo("never mind"))
    assert isinstance(first, RequestRead)

    cancelled = await cancel_request.asyncio(client=client, request_id=first.id)
    await system.move()  # had it left, the master's cancellation comes back
    after = await get_request.asyncio(client=client, request_id=first.id)
    limited = await submit_request.asyncio_detailed(client=client, body=echo("too soon"))
    retry_after = int(limited.headers["Retry-After"])
    await system.reset_limits()  # the minute has passed
    later = await submit_request.asyncio_detailed(client=client, body=echo("later"))

    assert isinstance(cancelled, RequestRead)
    assert cancelled.status == RequestStatus.CANCELLED or cancelled.cancel_requested_at
    assert isinstance(after, RequestDetail)
    assert after.status == RequestStatus.CANCELLED
    assert isinstance(limited.parsed, Error)
    assert (limited.status_code, limited.parsed.code) == (429, "rate_limited")
    assert 0 < retry_after <= 60
    assert later.status_code == 201
