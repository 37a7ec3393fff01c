"""What goes wrong, as a user of `airlock-client` meets it: one line on stderr, no
traceback, and the exit code the command's help documents."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from airlock_cli.exits import ExitCode
from tests.clients.conftest import BASE_URL, PASSWORD, USERNAME, InProcessTransport, Terminal
from tests.services import free_port


@pytest.fixture
def backend() -> str:
    """The refusals below are the command line's, not the database's: embedded only."""
    return "embedded"


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("airlock-client: ")
    return lines[0]


async def test_wrong_password_and_not_logged_in(cli: Terminal) -> None:
    wrong = await cli("login", "-u", USERNAME, "--password", "not the password")
    anonymous = await cli("types")

    assert wrong.exit_code == ExitCode.REFUSED
    assert one_line(wrong.stderr) == "airlock-client: wrong username or password"
    assert anonymous.exit_code == ExitCode.NOT_LOGGED_IN
    assert "log in again: airlock-client login" in one_line(anonymous.stderr)


async def test_an_expired_or_refused_login_asks_to_log_in_again(cli: Terminal) -> None:
    await cli.log_in()
    stored = cli.config / "airlock" / "credentials.json"
    credentials = json.loads(stored.read_text())

    stored.write_text(json.dumps(credentials | {"expires_at": time.time() - 1}))
    expired = await cli("types")
    stored.write_text(json.dumps(credentials | {"token": "not-a-token", "expires_at": None}))
    refused = await cli("types")

    assert (expired.exit_code, refused.exit_code) == (ExitCode.NOT_LOGGED_IN,) * 2
    assert "the login expired" in one_line(expired.stderr)
    assert "log in again" in one_line(refused.stderr)


async def test_a_server_that_does_not_answer(cli: Terminal) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"

    down = await cli("--url", nobody, "login", "-u", USERNAME, "--password", "x", network=True)

    assert down.exit_code == ExitCode.UNREACHABLE
    assert one_line(down.stderr).startswith(f"airlock-client: cannot reach {nobody}")


async def test_a_request_never_answered_times_out(cli: Terminal) -> None:
    await cli.log_in()
    submitted = await cli("--json", "submit", "echo", "-p", "message=anyone?")
    request_id = json.loads(submitted.stdout)["id"]

    waited = await cli("wait", request_id, "--timeout", "2")
    early = await cli("answer", request_id)

    assert waited.exit_code == ExitCode.TIMED_OUT
    assert one_line(waited.stderr) == f"airlock-client: {request_id} not decided after 2 s"
    assert cli.slept == [0.5, 1.0, 0.5], "backing off, but never past the timeout"
    assert early.exit_code == ExitCode.REFUSED
    # (pending, or exported if the app's export job ran meanwhile)
    assert re.search(
        rf"not answered yet \((pending|exported)\): `airlock-client wait {request_id}`",
        one_line(early.stderr),
    )


async def test_a_malformed_id_and_another_servers_login(cli: Terminal) -> None:
    await cli.log_in()

    malformed = await cli("status", "../admin")
    elsewhere = await cli("--url", "http://elsewhere.example", "types")

    assert malformed.exit_code == ExitCode.USAGE
    assert one_line(malformed.stderr) == "airlock-client: '../admin' is not a request id"
    assert elsewhere.exit_code == ExitCode.NOT_LOGGED_IN
    assert f"logged in on {BASE_URL}, not on http://elsewhere.example" in elsewhere.stderr


async def test_login_asks_for_what_it_is_not_given_and_a_bad_url(cli: Terminal) -> None:
    asked = await cli("login", stdin=f"{USERNAME}\n{PASSWORD}\n")
    bad_url = await cli("--url", "ftp://example.org", "types")

    assert asked.exit_code == 0, asked.output
    assert f"Logged in as {USERNAME}" in asked.stdout
    assert PASSWORD not in asked.output, "the password is not echoed"
    assert bad_url.exit_code == ExitCode.USAGE
    assert "expected http://HOST[:PORT]" in one_line(bad_url.stderr)


async def test_a_proxy_page_instead_of_the_api(cli: Terminal) -> None:
    await cli.log_in()
    app = InProcessTransport(cli.system.client, cli.loop)

    def proxy(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":  # what a proxy with a smaller body limit answers
            return httpx.Response(413, html="<html><body>Request Entity Too Large</body></html>")
        return app.handle_request(request)

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway")

    submitted = await cli("submit", "echo", "-p", "message=hi", via=httpx.MockTransport(proxy))
    listed = await cli("types", via=httpx.MockTransport(gateway))

    assert (submitted.exit_code, listed.exit_code) == (ExitCode.REFUSED,) * 2
    assert "answered, not in this API's words (a proxy?)" in one_line(submitted.stderr)
    assert one_line(listed.stderr) == (
        "airlock-client: refused (502), not in this API's words (a proxy?)"
    )
