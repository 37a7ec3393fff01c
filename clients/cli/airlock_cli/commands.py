"""The commands of `airlock-client`: each parses its options, makes one or two calls through
`server.py` and prints the answer (JSON with the global `--json`)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from airlock_cli.context import state
from airlock_cli.exits import ExitCode, Failure

if TYPE_CHECKING:
    from airlock_client import AuthenticatedClient
    from airlock_client.models import RequestDetail, ResponseRead

    from airlock_cli.server import Server

RequestId = Annotated[str, typer.Argument(help="The request's id (from submit or list).")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the answer's body to this file.")
]


def request_id_of(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Failure(f"{text!r} is not a request id", ExitCode.USAGE) from None


def signed_in(ctx: typer.Context) -> tuple[Server, AuthenticatedClient]:
    from airlock_cli import credentials

    stored = credentials.load()
    server = state(ctx).server(stored)
    return server, server.authenticated(stored)


def login(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--username", "-u")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="AIRLOCK_PASSWORD",
            help="Asked for when not given; prefer the variable (an option shows in `ps`).",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="AIRLOCK_API_KEY", help="Use a key instead.")
    ] = None,
) -> None:
    """Log in (username and password, or an API key) and keep the credentials (mode 0600)."""
    from airlock_client.api.auth import log_in
    from airlock_client.api.users import get_me
    from airlock_client.models import BodyLogIn, TokenRead, UserRead

    from airlock_cli import credentials
    from airlock_cli.server import answer, refusal

    server = state(ctx).server()
    if api_key:
        probe = credentials.Credentials(url=server.url, token=api_key, username="")
        checked = server.call(get_me.sync_detailed, client=server.authenticated(probe))
        if checked.status_code == 401:
            raise Failure("the server does not take this API key", ExitCode.REFUSED)
        me = answer(checked, UserRead)
        saved = credentials.Credentials(url=server.url, token=api_key, username=me.username)
    else:
        username = username or typer.prompt("Username")
        password = password or typer.prompt("Password", hide_input=True)
        body = BodyLogIn(username=username, password=password)
        sent = server.call(log_in.sync_detailed, client=server.anonymous(), body=body)
        if sent.status_code == 401:
            raise Failure("wrong username or password", ExitCode.REFUSED)
        if not isinstance(sent.parsed, TokenRead):
            raise refusal(sent)
        token = sent.parsed
        saved = credentials.Credentials(
            url=server.url,
            token=token.access_token,
            username=username,
            expires_at=time.time() + token.expires_in,
        )
    path = credentials.save(saved)
    if saved.expires_at is None:
        how = "with an API key"
    else:
        how = f"for {round((saved.expires_at - time.time()) / 60)} minutes"
    state(ctx).emit(
        {"url": saved.url, "username": saved.username, "expires_at": saved.expires_at},
        lambda: typer.echo(f"Logged in as {saved.username} on {saved.url} {how} ({path})."),
    )


def types(ctx: typer.Context) -> None:
    """The request types you may submit, with their parameters."""
    from airlock_client.api.catalog import list_request_types

    from airlock_cli.server import answer

    server, client = signed_in(ctx)
    listed = server.call(list_request_types.sync_detailed, client=client)
    found = answer(listed, list)
    data = [item.to_dict() for item in found]

    def human() -> None:
        for item in data:
            schema = item["parameter_schema"]
            required = set(schema.get("required", []))
            names = [f"{n}{'' if n in required else '?'}" for n in schema.get("properties", {})]
            typer.echo(
                f"{item['name']:24} {item['title']}  ({', '.join(names) or 'no parameters'})"
            )

    state(ctx).emit(data, human)


def submit(
    ctx: typer.Context,
    request_type: Annotated[str, typer.Argument(help="A name from `airlock-client types`.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE; the value as JSON when it parses."),
    ] = None,
    json_file: Annotated[
        str | None, typer.Option("--json", help="The parameters as a JSON file; - for stdin.")
    ] = None,
    priority: Annotated[int, typer.Option(min=0, max=9)] = 5,
    wait_if_limited: Annotated[
        bool, typer.Option(help="On 429, wait the Retry-After the server names, then resend.")
    ] = False,
) -> None:
    """Submit a request; the parameters are checked against the type's schema first."""
    from airlock_client.api.catalog import list_request_types
    from airlock_client.api.requests import submit_request
    from airlock_client.models import RequestCreate, RequestCreateParameters, RequestRead

    from airlock_cli import parameters
    from airlock_cli.server import answer, refusal

    if param and json_file:
        raise Failure("give --param or --json, not both", ExitCode.USAGE)
    values = parameters.from_file(json_file) if json_file else parameters.from_pairs(param or [])
    server, client = signed_in(ctx)
    catalog = answer(server.call(list_request_types.sync_detailed, client=client), list)
    schemas = {item.name: item.parameter_schema.to_dict() for item in catalog}
    if request_type not in schemas:
        raise Failure(
            f"no request type {request_type!r} open to you (`airlock-client types` lists them)",
            ExitCode.USAGE,
        )
    parameters.check(values, schemas[request_type], request_type)
    body = RequestCreate(
        request_type=request_type,
        parameters=RequestCreateParameters.from_dict(values),
        priority=priority,
    )
    # One key for every resend: a 429 stored nothing, and a lost answer is not sent twice.
    key = str(uuid.uuid4())
    while True:
        sent = server.call(
            submit_request.sync_detailed, client=client, body=body, idempotency_key=key
        )
        if sent.status_code == 429 and wait_if_limited:
            state(ctx).hooks.sleep(retry_after(sent.headers))
            continue
        if not isinstance(sent.parsed, RequestRead) or sent.status_code >= 400:
            raise refusal(sent)
        break
    made = sent.parsed
    state(ctx).emit(
        made.to_dict(),
        lambda: typer.echo(f"{made.id}  {made.request_type}  {made.status.value}"),
    )


def retry_after(headers: Any) -> float:
    try:
        return max(float(headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


def status(ctx: typer.Context, request_id: RequestId) -> None:
    """A request's status and its history."""
    detail = fetch_detail(*signed_in(ctx), request_id_of(request_id))

    def human() -> None:
        typer.echo(f"{detail.id}  {detail.request_type}  {detail.status.value}")
        for event in detail.history:
            reason = f"  {event.reason}" if isinstance(event.reason, str) else ""
            typer.echo(f"  {event.at.isoformat(timespec='seconds')}  {event.status.value}{reason}")

    state(ctx).emit(detail.to_dict(), human)


def fetch_detail(
    server: Server, client: AuthenticatedClient, request_id: uuid.UUID
) -> RequestDetail:
    from airlock_client.api.requests import get_request
    from airlock_client.models import RequestDetail

    from airlock_cli.server import answer

    got = server.call(get_request.sync_detailed, client=client, request_id=request_id)
    return answer(got, RequestDetail)


def wait(
    ctx: typer.Context,
    request_id: RequestId,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds before giving up (exit 5).")] = 300,
    output: Output = None,
) -> None:
    """Wait until the request is decided, then print its answer (exit 5 on --timeout)."""
    from airlock_cli.waiting import wait_decided

    uid = request_id_of(request_id)
    server, client = signed_in(ctx)  # one connection for every poll
    final = wait_decided(
        lambda: fetch_detail(server, client, uid).status.value,
        timeout=timeout,
        sleep=state(ctx).hooks.sleep,
        clock=state(ctx).hooks.clock,
        label=f"waiting for {uid}",
    )
    if final is None:
        raise Failure(f"{uid} not decided after {timeout:g} s", ExitCode.TIMED_OUT)
    if final == "cancelled":
        raise Failure(f"{uid} was cancelled", ExitCode.NOT_ANSWERED)
    show_answer(ctx, uid, output)


def answer(ctx: typer.Context, request_id: RequestId, output: Output = None) -> None:
    """Print the answer's body (or write it with --output); exit 6 if the request failed."""
    show_answer(ctx, request_id_of(request_id), output)


def show_answer(ctx: typer.Context, request_id: uuid.UUID, output: Path | None) -> None:
    from airlock_client.api.responses import read_response
    from airlock_client.models import ResponseRead

    from airlock_cli.server import error_body, refusal

    server, client = signed_in(ctx)
    got = server.call(read_response.sync_detailed, client=client, request_id=request_id)
    if got.status_code == 404 and error_body(got).get("code") == "not_answered":
        current = error_body(got).get("status")
        if current == "cancelled":
            raise Failure(f"{request_id} was cancelled", ExitCode.NOT_ANSWERED)
        raise Failure(
            f"{request_id} is not answered yet ({current}): `airlock-client wait {request_id}`",
            ExitCode.REFUSED,
        )
    if not isinstance(got.parsed, ResponseRead):
        raise refusal(got)
    read = got.parsed
    if read.status.value not in ("answered", "delivered"):
        raise Failure(f"{request_id} {read.status.value}: {read.reason}", ExitCode.NOT_ANSWERED)
    write_body(ctx, read, output)


def write_body(ctx: typer.Context, read: ResponseRead, output: Path | None) -> None:
    text = read.body if isinstance(read.body, str) else json.dumps(read.body, indent=2)
    if output is not None:
        try:
            output.write_text(text + "\n")
        except OSError as error:
            raise Failure(f"cannot write {output}: {error}", ExitCode.USAGE) from None
        if state(ctx).as_json:
            typer.echo(json.dumps(read.to_dict() | {"body": None, "output": str(output)}))
        return
    state(ctx).emit(read.to_dict(), lambda: typer.echo(text))


def list_requests(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    request_type: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    cursor: Annotated[
        str | None, typer.Option(help="Where the previous page ended (it prints the command).")
    ] = None,
) -> None:
    """Your requests, newest first, a page at a time."""
    from airlock_client.api.requests import list_requests as list_operation
    from airlock_client.models import RequestPage, RequestStatus
    from airlock_client.types import UNSET

    from airlock_cli.server import answer

    try:
        wanted = RequestStatus(status) if status else UNSET
    except ValueError:
        choices = ", ".join(s.value for s in RequestStatus)
        raise Failure(f"--status {status!r}: one of {choices}", ExitCode.USAGE) from None
    server, client = signed_in(ctx)
    got = server.call(
        list_operation.sync_detailed,
        client=client,
        status=wanted,
        request_type=request_type or UNSET,
        cursor=cursor or UNSET,
        limit=limit,
    )
    page = answer(got, RequestPage)

    def human() -> None:
        for item in page.items:
            created = item.created_at.isoformat(timespec="seconds")
            typer.echo(f"{item.id}  {item.request_type:20} {item.status.value:10} {created}")
        if page.next_cursor:
            # The same filters again, so that the next page continues this listing.
            again = [f"--limit {limit}"]
            again += [f"--status {status}"] if status else []
            again += [f"--type {request_type}"] if request_type else []
            more = " ".join([*again, f"--cursor {page.next_cursor}"])
            typer.echo(f"more: airlock-client list {more}", err=True)

    # --json: the page as the API sends it, so a script follows `next_cursor` itself.
    state(ctx).emit(page.to_dict(), human)


def limits(ctx: typer.Context) -> None:
    """Your submission limits: used, remaining and when each window frees up."""
    from airlock_client.api.requests import my_limits
    from airlock_client.models import QuotaRead

    from airlock_cli.server import answer

    server, client = signed_in(ctx)
    quota = answer(server.call(my_limits.sync_detailed, client=client), QuotaRead)

    def human() -> None:
        typer.echo(f"profile {quota.profile}")
        rows = [("", window) for window in quota.windows] + [
            (f"{group.request_type}/", window)
            for group in quota.request_types
            for window in group.windows
        ]
        for prefix, window in rows:
            typer.echo(
                f"  {prefix + window.window:24} {window.used}/{window.hard} used, "
                f"{window.remaining} left, frees in {window.reset_after_seconds} s"
            )

    state(ctx).emit(quota.to_dict(), human)


def logout(ctx: typer.Context) -> None:
    """End the login: the server revokes the token, this machine forgets it.

    An API key is only forgotten here: revoke it in the console."""
    from airlock_client.api.auth import logout as logout_operation

    from airlock_cli import credentials
    from airlock_cli.server import refusal

    stored = credentials.load()
    if stored is None:
        state(ctx).emit({"logged_out": False}, lambda: typer.echo("Not logged in."))
        return
    if stored.expires_at is not None and not stored.expired():
        server = state(ctx).server(stored)
        ended = server.call(logout_operation.sync_detailed, client=server.authenticated(stored))
        # 401: the token had already ended (revoked elsewhere, or the secret rotated).
        if ended.status_code not in (204, 401):
            raise refusal(ended)
    credentials.forget()
    how = "token revoked" if stored.expires_at is not None else "API key forgotten here"
    state(ctx).emit(
        {"logged_out": True, "username": stored.username, "url": stored.url},
        lambda: typer.echo(f"Logged out {stored.username} from {stored.url} ({how})."),
    )


def cancel(ctx: typer.Context, request_id: RequestId) -> None:
    """Cancel a request not decided yet (at once if it has not left; else on the way)."""
    from airlock_client.api.requests import cancel_request
    from airlock_client.models import RequestRead

    from airlock_cli.server import answer

    server, client = signed_in(ctx)
    uid = request_id_of(request_id)
    made = answer(
        server.call(cancel_request.sync_detailed, client=client, request_id=uid), RequestRead
    )
    asked = "" if made.status.value == "cancelled" else " (cancellation sent)"
    state(ctx).emit(made.to_dict(), lambda: typer.echo(f"{made.id}  {made.status.value}{asked}"))


COMMANDS: dict[str, Callable[..., None]] = {
    "login": login,
    "logout": logout,
    "types": types,
    "submit": submit,
    "status": status,
    "wait": wait,
    "list": list_requests,
    "answer": answer,
    "limits": limits,
    "cancel": cancel,
}
