"""Per-type limits on profiles and grants: defined by admins (API and CLI), checked for shape,
audited, exported on the catalog stream."""

from __future__ import annotations

import httpx
from typer.testing import CliRunner

from response_network.cli import app
from response_network.runtime import ResponseRuntime
from tests.response_network.catalog.test_admin import create_type
from tests.response_network.catalog.test_cli import cli  # noqa: F401 - the CLI's environment
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import audit_events

LOOKUP_LIMITS = {"minute": {"soft": 4, "hard": 5}, "month": {"soft": 90, "hard": 100}}


async def test_a_profile_carries_limits_per_request_type(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
) -> None:
    created = await response_client.post(
        "/admin/profiles",
        json={"name": "analysts", "type_limits": {"lookup": LOOKUP_LIMITS}},
        headers=admin_headers,
    )
    changed = await response_client.patch(
        "/admin/profiles/analysts",
        json={"type_limits": {"lookup": {"day": {"soft": 1, "hard": 2}}}},
        headers=admin_headers,
    )

    assert created.status_code == 201, created.text
    assert created.json()["type_limits"] == {"lookup": LOOKUP_LIMITS}
    assert (changed.json()["type_limits"], changed.json()["version"]) == (
        {"lookup": {"day": {"soft": 1, "hard": 2}}},
        2,
    )
    [update] = await audit_events(response_runtime, "profile.update")
    assert update.details is not None
    assert update.details["fields"] == ["type_limits"]


async def test_per_type_limits_of_unknown_windows_or_negative_numbers_are_refused(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    await create_type(response_client, admin_headers)
    user = await make_user("ben")
    weekly = await response_client.post(
        "/admin/profiles",
        json={"name": "weekly", "type_limits": {"lookup": {"week": {"soft": 1, "hard": 2}}}},
        headers=admin_headers,
    )
    negative = await response_client.post(
        "/admin/profiles",
        json={"name": "negative", "type_limits": {"lookup": {"day": {"soft": 1, "hard": -2}}}},
        headers=admin_headers,
    )
    soft_above = await response_client.post(
        "/admin/profiles",
        json={"name": "upside", "type_limits": {"lookup": {"day": {"soft": 3, "hard": 2}}}},
        headers=admin_headers,
    )
    grant_negative = await response_client.post(
        f"/admin/users/{user.id}/grants",
        json={"request_type": "lookup", "limits": {"hour": {"soft": -1, "hard": 2}}},
        headers=admin_headers,
    )
    grant_unknown = await response_client.post(
        f"/admin/users/{user.id}/grants",
        json={"request_type": "lookup", "limits": {"fortnight": {"soft": 1, "hard": 2}}},
        headers=admin_headers,
    )

    for answer, field in (
        (weekly, "type_limits.lookup.week"),
        (negative, "type_limits.lookup.day.hard"),
        (soft_above, "type_limits.lookup.day"),
        (grant_negative, "limits.hour.soft"),
        (grant_unknown, "limits.fortnight"),
    ):
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid.request"), answer.text
        assert field in answer.json()["detail"], (field, answer.json()["detail"])
    profiles = await response_client.get("/admin/profiles", headers=admin_headers)
    assert profiles.json() == []
    grants = await response_client.get(f"/admin/users/{user.id}/grants", headers=admin_headers)
    assert grants.json() == []


async def test_a_grant_carries_its_own_limits_and_granting_again_replaces_them(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    admin_headers: dict[str, str],
    make_user: UserFactory,
) -> None:
    await create_type(response_client, admin_headers)
    user = await make_user("ben")
    url = f"/admin/users/{user.id}/grants"

    granted = await response_client.post(
        url, json={"request_type": "lookup", "limits": LOOKUP_LIMITS}, headers=admin_headers
    )
    again = await response_client.post(url, json={"request_type": "lookup"}, headers=admin_headers)
    tighter = await response_client.post(
        url,
        json={"request_type": "lookup", "limits": {"minute": {"soft": 1, "hard": 1}}},
        headers=admin_headers,
    )

    assert granted.json()["limits"] == LOOKUP_LIMITS
    assert (again.json()["id"], again.json()["limits"]) == (granted.json()["id"], LOOKUP_LIMITS)
    assert (tighter.json()["id"], tighter.json()["limits"], tighter.json()["version"]) == (
        granted.json()["id"],
        {"minute": {"soft": 1, "hard": 1}},
        2,
    )
    actions = [e.action for e in await audit_events(response_runtime)]
    assert actions[-2:] == ["grant.create", "grant.update"]


def test_the_cli_sets_and_unsets_per_type_limits_on_profiles_and_grants(
    cli: CliRunner,  # noqa: F811
) -> None:
    assert cli.invoke(app, ["seed"]).exit_code == 0
    set_profile = cli.invoke(
        app, ["profiles", "set-type-limit", "basic", "echo", "minute", "3", "--soft", "2"]
    )
    bad_window = cli.invoke(app, ["profiles", "set-type-limit", "basic", "echo", "week", "3"])
    ben = ["users", "create", "ben", "--email", "ben@example.org", "--generate-password"]
    assert cli.invoke(app, ben).exit_code == 0
    set_grant = cli.invoke(app, ["grants", "set-limit", "ben", "echo", "hour", "7"])
    listed = cli.invoke(app, ["grants", "list", "ben"])
    unset_profile = cli.invoke(app, ["profiles", "unset-type-limit", "basic", "echo"])
    unset_grant = cli.invoke(app, ["grants", "unset-limit", "ben", "echo", "--window", "hour"])
    not_granted = cli.invoke(app, ["grants", "unset-limit", "ben", "basic-only"])

    assert set_profile.exit_code == 0, set_profile.output
    assert "minute:2/3" in set_profile.output
    assert bad_window.exit_code == 2  # bad input, as for every command
    assert "type_limits.echo.week" in bad_window.output
    assert set_grant.exit_code == 0, set_grant.output
    assert "hour:7/7" in listed.output
    assert (unset_profile.exit_code, unset_grant.exit_code) == (0, 0)
    assert "echo: -" in unset_profile.output
    assert "echo: -" in unset_grant.output
    assert (not_granted.exit_code, "not_found.grant" in not_granted.output) == (1, True)
