"""Calls to the request network through the generated client, each answer turned into its
model or into a `Failure` with the exit code a script can rely on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from airlock_client import AuthenticatedClient, Client
from airlock_client.models import Error
from airlock_client.types import Response

from airlock_cli.credentials import LOG_IN_AGAIN, Credentials
from airlock_cli.exits import ExitCode, Failure

T = TypeVar("T")
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True)
class Server:
    url: str
    transport: httpx.BaseTransport | None = None
    """None: the network; tests pass one that reaches an app in process."""

    def _http(self, headers: dict[str, str]) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=TIMEOUT, transport=self.transport
        )

    def anonymous(self) -> Client:
        return Client(base_url=self.url).set_httpx_client(self._http({}))

    def authenticated(self, credentials: Credentials | None) -> AuthenticatedClient:
        if credentials is None:
            raise Failure(f"not logged in: {LOG_IN_AGAIN}", ExitCode.NOT_LOGGED_IN)
        if credentials.url.rstrip("/") != self.url:
            # Never send one server's token to another.
            elsewhere = f"logged in on {credentials.url}, not on {self.url}"
            raise Failure(f"{elsewhere}: {LOG_IN_AGAIN} --url {self.url}", ExitCode.NOT_LOGGED_IN)
        if credentials.expired():
            raise Failure(f"the login expired: {LOG_IN_AGAIN}", ExitCode.NOT_LOGGED_IN)
        headers = {"Authorization": f"Bearer {credentials.token}"}
        return AuthenticatedClient(base_url=self.url, token=credentials.token).set_httpx_client(
            self._http(headers)
        )

    def call(self, operation: Callable[..., Response[Any]], **kwargs: Any) -> Response[Any]:
        """`operation(**kwargs)` (a `sync_detailed`), with a transport failure as exit
        code 4 and an answer the client cannot parse as exit code 1."""
        try:
            return operation(**kwargs)
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise Failure(f"cannot reach {self.url}: {reason}", ExitCode.UNREACHABLE) from None
        except (ValueError, KeyError, TypeError) as error:
            # An answer that is not the API's (a proxy's HTML page, a truncated body): the
            # generated client parses every declared status as JSON of its model.
            message = f"{self.url} answered, not in this API's words (a proxy?): {error}"
            raise Failure(message, ExitCode.REFUSED) from None


def answer(response: Response[Any], model: type[T]) -> T:
    """The answer's model, or a `Failure` that says what the server refused and why."""
    parsed = response.parsed
    if isinstance(parsed, model) and response.status_code < 400:
        return parsed
    raise refusal(response)


def refusal(response: Response[Any]) -> Failure:
    status = response.status_code
    body = error_body(response)
    if "code" not in body:
        return Failure(f"refused ({status}), not in this API's words (a proxy?)", ExitCode.REFUSED)
    code, detail = body["code"], body.get("detail", "")
    if status == 401:
        return Failure(f"{detail or 'not logged in'}: {LOG_IN_AGAIN}", ExitCode.NOT_LOGGED_IN)
    if status == 429:
        wait = response.headers.get("Retry-After", "?")
        return Failure(f"rate limited ({code}): {detail}; retry in {wait} s", ExitCode.REFUSED)
    return Failure(f"refused ({status} {code}): {detail}", ExitCode.REFUSED)


def error_body(response: Response[Any]) -> dict[str, Any]:
    if isinstance(response.parsed, Error):
        return response.parsed.to_dict()
    try:
        body = httpx.Response(response.status_code, content=response.content).json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
