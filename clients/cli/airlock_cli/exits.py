"""The exit codes a script can rely on, and the one error every command turns into one."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1
    """The server refused (a 4xx other than 401, or a 5xx): wrong password, rate limited,
    no such request, not answered yet."""
    USAGE = 2
    """Bad input before anything is sent: typer's usage errors, a parameter file that is not
    JSON, parameters that break the type's schema, an unknown type, a malformed id."""
    NOT_LOGGED_IN = 3
    """No stored credentials, or the server no longer takes them: log in again."""
    UNREACHABLE = 4
    """No answer from the server (refused connection, DNS, timeout)."""
    TIMED_OUT = 5
    """`wait` gave up before the request was decided."""
    NOT_ANSWERED = 6
    """The request ended without an answer: failed, rejected or cancelled."""


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 the server refused (4xx, 5xx); 2 bad input or usage; "
    "3 not logged in or the login expired (log in again); 4 server unreachable; "
    "5 timed out waiting; 6 the request failed, was rejected or cancelled."
)


class Failure(Exception):
    """What a command stops with: one line for stderr and the exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
