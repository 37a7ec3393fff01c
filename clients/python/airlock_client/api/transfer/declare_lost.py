from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.gap_read import GapRead
from ...types import Response


def _get_kwargs(
    stream: str,
    sequence: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/admin/transfer/gaps/{stream}/{sequence}/lost".format(
            stream=quote(str(stream), safe=""),
            sequence=quote(str(sequence), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | GapRead | None:
    if response.status_code == 200:
        response_200 = GapRead.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | GapRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    stream: str,
    sequence: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | GapRead]:
    """Stop reporting a sequence as missing

    Args:
        stream (str):
        sequence (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GapRead]
    """

    kwargs = _get_kwargs(
        stream=stream,
        sequence=sequence,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    stream: str,
    sequence: int,
    *,
    client: AuthenticatedClient,
) -> Error | GapRead | None:
    """Stop reporting a sequence as missing

    Args:
        stream (str):
        sequence (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GapRead
    """

    return sync_detailed(
        stream=stream,
        sequence=sequence,
        client=client,
    ).parsed


async def asyncio_detailed(
    stream: str,
    sequence: int,
    *,
    client: AuthenticatedClient,
) -> Response[Error | GapRead]:
    """Stop reporting a sequence as missing

    Args:
        stream (str):
        sequence (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GapRead]
    """

    kwargs = _get_kwargs(
        stream=stream,
        sequence=sequence,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    stream: str,
    sequence: int,
    *,
    client: AuthenticatedClient,
) -> Error | GapRead | None:
    """Stop reporting a sequence as missing

    Args:
        stream (str):
        sequence (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GapRead
    """

    return (
        await asyncio_detailed(
            stream=stream,
            sequence=sequence,
            client=client,
        )
    ).parsed
