"""From a terminal: the request network login flag, and keys with scopes."""

from __future__ import annotations

from typer.testing import CliRunner

from response_network.api_keys.models import ApiKey
from response_network.audit.models import AuditEvent
from response_network.cli import app
from response_network.settings import ResponseSettings
from response_network.users.models import User
from tests.response_network.test_cli import _rows, cli  # noqa: F401  (the fixture)


def test_request_network_login_is_turned_on_and_off_and_audited(
    cli: CliRunner,  # noqa: F811
    response_settings: ResponseSettings,
) -> None:
    create = ["users", "create", "omar", "--email", "o@example.org", "--role", "operator"]
    cli.invoke(app, [*create, "--generate-password"])

    turned_on = cli.invoke(app, ["users", "request-network-login", "omar", "--on"])
    [user] = _rows(response_settings, User)
    turned_off = cli.invoke(app, ["users", "request-network-login", "omar", "--off"])
    [after] = _rows(response_settings, User)

    assert (turned_on.exit_code, turned_off.exit_code) == (0, 0), turned_on.output
    assert (user.request_network_login, after.request_network_login) == (True, False)
    updates = [e for e in _rows(response_settings, AuditEvent) if e.action == "user.update"]
    assert [e.details for e in updates] == [
        {"changes": {"request_network_login": [False, True]}},
        {"changes": {"request_network_login": [True, False]}},
    ]
    assert all(e.actor_name.startswith("cli:") for e in updates)


def test_api_keys_take_known_scopes_only(
    cli: CliRunner,  # noqa: F811
    response_settings: ResponseSettings,
) -> None:
    cli.invoke(app, ["users", "create", "bot", "--email", "bot@example.org", "--generate-password"])

    bogus = cli.invoke(app, ["api-keys", "create", "bot", "--name", "x", "--scope", "everything"])
    scopes = ["--scope", "requests:read", "--scope", "requests:write"]
    created = cli.invoke(app, ["api-keys", "create", "bot", "--name", "reader", *scopes])

    assert bogus.exit_code != 0
    assert created.exit_code == 0, created.output
    [key] = _rows(response_settings, ApiKey)
    assert key.scopes == ["requests:read", "requests:write"]
