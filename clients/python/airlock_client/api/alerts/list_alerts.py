from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.alert_page import AlertPage
from ...models.alert_state import AlertState
from ...models.error import Error
from ...models.rule import Rule
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    state: AlertState | None | Unset = UNSET,
    rule: None | Rule | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_state: None | str | Unset
    if isinstance(state, Unset):
        json_state = UNSET
    elif isinstance(state, AlertState):
        json_state = state.value
    else:
        json_state = state
    params["state"] = json_state

    json_rule: None | str | Unset
    if isinstance(rule, Unset):
        json_rule = UNSET
    elif isinstance(rule, Rule):
        json_rule = rule.value
    else:
        json_rule = rule
    params["rule"] = json_rule

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/admin/alerts",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AlertPage | Error | None:
    if response.status_code == 200:
        response_200 = AlertPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[AlertPage | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    state: AlertState | None | Unset = UNSET,
    rule: None | Rule | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[AlertPage | Error]:
    """Alerts, newest first, one page a time

    Args:
        state (AlertState | None | Unset):
        rule (None | Rule | Unset):
        cursor (None | str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AlertPage | Error]
    """

    kwargs = _get_kwargs(
        state=state,
        rule=rule,
        cursor=cursor,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    state: AlertState | None | Unset = UNSET,
    rule: None | Rule | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> AlertPage | Error | None:
    """Alerts, newest first, one page a time

    Args:
        state (AlertState | None | Unset):
        rule (None | Rule | Unset):
        cursor (None | str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AlertPage | Error
    """

    return sync_detailed(
        client=client,
        state=state,
        rule=rule,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    state: AlertState | None | Unset = UNSET,
    rule: None | Rule | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[AlertPage | Error]:
    """Alerts, newest first, one page a time

    Args:
        state (AlertState | None | Unset):
        rule (None | Rule | Unset):
        cursor (None | str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AlertPage | Error]
    """

    kwargs = _get_kwargs(
        state=state,
        rule=rule,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    state: AlertState | None | Unset = UNSET,
    rule: None | Rule | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> AlertPage | Error | None:
    """Alerts, newest first, one page a time

    Args:
        state (AlertState | None | Unset):
        rule (None | Rule | Unset):
        cursor (None | str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AlertPage | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            state=state,
            rule=rule,
            cursor=cursor,
            limit=limit,
        )
    ).parsed
