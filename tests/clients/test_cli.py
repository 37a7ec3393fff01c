"""`airlock-client` through typer's CliRunner against the request network in process (its
HTTP transport and its pause between polls are the hooks `make_app` takes); the exit codes
and one-line errors a script relies on."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from airlock_cli.exits import ExitCode
from tests.clients.conftest import PASSWORD, USERNAME, Terminal


async def test_a_user_submits_waits_and_reads_the_answer(cli: Terminal, tmp_path: Path) -> None:
    login = await cli("login", "-u", USERNAME, "--password", PASSWORD)
    stored = cli.config / "airlock" / "credentials.json"
    types = await cli("--json", "types")
    submitted = await cli("--json", "submit", "echo", "--param", "message=hello")
    request_id = json.loads(submitted.stdout)["id"]
    cli.meanwhile = cli.system.move
    waited = await cli("wait", request_id)
    status = await cli("status", request_id)
    listed = await cli("--json", "list")
    saved = await cli("answer", request_id, "--output", str(tmp_path / "answer.json"))
    limits = await cli("limits")

    assert login.exit_code == 0, login.output
    assert f"Logged in as {USERNAME}" in login.stdout
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [item["name"] for item in json.loads(types.stdout)] == ["echo"]
    assert submitted.exit_code == 0, submitted.output
    assert waited.exit_code == 0, waited.output
    assert json.loads(waited.stdout) == {"message": "hello"}
    assert cli.slept == [0.5], "one pause, during which the answer came"
    assert status.stdout.splitlines()[0].endswith("echo  delivered")
    assert [item["id"] for item in json.loads(listed.stdout)["items"]] == [request_id]
    assert json.loads((tmp_path / "answer.json").read_text()) == {"message": "hello"}
    assert saved.stdout == ""
    assert "  minute                   1/1 used, 0 left" in limits.stdout


async def test_parameters_are_checked_before_anything_is_sent(
    cli: Terminal, tmp_path: Path
) -> None:
    await cli.log_in()
    not_json = tmp_path / "params.json"
    not_json.write_text("{message: hello")

    unknown = await cli("submit", "weather", "--param", "city=Oslo")
    broken = await cli("submit", "echo", "--param", "message=")
    extra = await cli("submit", "echo", "--param", "message=hi", "--param", "n=3")
    garbled = await cli("submit", "echo", "--json", str(not_json))
    piped = await cli("--json", "submit", "echo", "--json", "-", stdin='{"message": "piped"}')

    for refused in (unknown, broken, extra, garbled):
        assert refused.exit_code == ExitCode.USAGE
        assert refused.stdout == ""
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "no request type 'weather'" in unknown.stderr
    assert 'echo: message: "" is shorter than 1 character' in broken.stderr
    assert "'n' was unexpected" in extra.stderr
    assert "params.json is not JSON" in garbled.stderr
    # None of the refusals counted against the one submission a minute allows.
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["parameters"] == {"message": "piped"}


async def test_a_rate_limited_submission_waits_its_retry_after(cli: Terminal) -> None:
    await cli.log_in()
    await cli("submit", "echo", "-p", "message=first")

    refused = await cli("submit", "echo", "-p", "message=second")
    cli.meanwhile = cli.system.reset_limits  # the minute passes while it waits
    waited = await cli("--json", "submit", "echo", "-p", "message=second", "--wait-if-limited")

    assert refused.exit_code == ExitCode.REFUSED
    assert "rate limited (rate_limited)" in refused.stderr
    assert waited.exit_code == 0, waited.output
    [pause] = cli.slept
    assert 0 < pause <= 60
    assert json.loads(waited.stdout)["parameters"] == {"message": "second"}


async def test_cancel_and_a_cancelled_request_has_no_answer(cli: Terminal) -> None:
    await cli.log_in()
    submitted = await cli("--json", "submit", "echo", "-p", "message=oops")
    request_id = json.loads(submitted.stdout)["id"]

    cancelled = await cli("cancel", request_id)
    cli.meanwhile = cli.system.move  # if it left already, the master's cancellation returns
    waited = await cli("wait", request_id)
    answer = await cli("answer", request_id)

    assert cancelled.exit_code == 0, cancelled.output
    # Cancelled at once while pending; once exported, the cancellation travels.
    assert cancelled.stdout.strip() in (
        f"{request_id}  cancelled",
        f"{request_id}  exported (cancellation sent)",
    )
    assert (waited.exit_code, answer.exit_code) == (ExitCode.NOT_ANSWERED,) * 2
    assert waited.stderr.strip() == f"airlock-client: {request_id} was cancelled"
    assert answer.stderr.strip() == f"airlock-client: {request_id} was cancelled"


async def test_a_request_the_master_fails_ends_wait_with_its_reason(cli: Terminal) -> None:
    await cli.log_in()
    submitted = await cli("--json", "submit", "echo", "-p", "message=too late")
    request_id = json.loads(submitted.stdout)["id"]
    await cli.system.close_echo()

    cli.meanwhile = cli.system.move
    waited = await cli("wait", request_id)
    answer = await cli("answer", request_id)

    assert (waited.exit_code, answer.exit_code) == (ExitCode.NOT_ANSWERED,) * 2
    [line] = waited.stderr.strip().splitlines()
    assert line.startswith(f"airlock-client: {request_id} failed: ")
    assert "echo" in line, "the reason names what changed"
    assert waited.stdout == ""


async def test_logging_in_with_an_api_key(cli: Terminal) -> None:
    secret = await cli.system.issue_api_key()

    wrong = await cli("login", "--api-key", "ak_not-a-key")
    login = await cli("login", "--api-key", secret)
    types = await cli("types")
    stored = json.loads((cli.config / "airlock" / "credentials.json").read_text())

    assert wrong.exit_code == ExitCode.REFUSED
    assert wrong.stderr.strip() == "airlock-client: the server does not take this API key"
    assert login.exit_code == 0, login.output
    assert f"Logged in as {USERNAME}" in login.stdout
    assert types.stdout.startswith("echo ")
    assert (stored["token"], stored["expires_at"]) == (secret, None)


async def test_list_pages_with_the_command_for_the_next_page(cli: Terminal) -> None:
    await cli.log_in()
    sent = []
    for n in range(3):
        submitted = await cli("--json", "submit", "echo", "-p", f"message=n{n}")
        sent.append(json.loads(submitted.stdout)["id"])
        await cli.system.reset_limits()  # one submission a minute: the minute passes

    first = await cli("list", "--limit", "2")
    more = first.stderr.strip()
    assert more.startswith("more: airlock-client list --limit 2 --cursor ")
    rest = await cli(*more.removeprefix("more: airlock-client ").split())
    as_json = await cli("--json", "list", "--limit", "2")

    ids = [line.split()[0] for line in first.stdout.splitlines() + rest.stdout.splitlines()]
    assert ids == sent[::-1], "newest first, each once, over two pages"
    assert rest.stderr == ""
    page = json.loads(as_json.stdout)
    assert [item["id"] for item in page["items"]] == sent[:0:-1]
    assert page["next_cursor"] == more.rsplit(" ", 1)[1]


async def test_logout_revokes_the_token_and_forgets_it(cli: Terminal) -> None:
    await cli.log_in()
    stored = cli.config / "airlock" / "credentials.json"
    token = json.loads(stored.read_text())["token"]

    out = await cli("logout")
    after = await cli("types")
    again = await cli("logout")
    with_old_token = await cli.system.client.get(
        "/request-types", headers={"Authorization": f"Bearer {token}"}
    )

    assert out.exit_code == 0, out.output
    assert out.stdout.startswith(f"Logged out {USERNAME} from ")
    assert not stored.exists()
    assert after.exit_code == ExitCode.NOT_LOGGED_IN
    assert (again.exit_code, again.stdout.strip()) == (0, "Not logged in.")
    assert with_old_token.status_code == 401
