"""A profile's `max_priority`: set by admins (API and CLI), carried to the replica."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from request_network.catalog.models import Profile as ReplicaProfile
from response_network.catalog.models import Profile
from response_network.cli import app
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from tests.response_network.catalog.test_cli import cli  # noqa: F401 - the CLI's environment
from tests.shared.exchange.conftest import Networks, networks  # noqa: F401


async def test_admins_set_a_profiles_max_priority_within_0_to_9(
    response_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    plain = await response_client.post(
        "/admin/profiles", json={"name": "plain"}, headers=admin_headers
    )
    modest = await response_client.post(
        "/admin/profiles", json={"name": "modest", "max_priority": 3}, headers=admin_headers
    )
    too_high = await response_client.patch(
        "/admin/profiles/modest", json={"max_priority": 10}, headers=admin_headers
    )
    raised = await response_client.patch(
        "/admin/profiles/modest", json={"max_priority": 9}, headers=admin_headers
    )

    assert (plain.status_code, plain.json()["max_priority"]) == (201, 5)
    assert (modest.status_code, modest.json()["max_priority"]) == (201, 3)
    assert too_high.status_code == 422
    assert (raised.status_code, raised.json()["max_priority"], raised.json()["version"]) == (
        200,
        9,
        2,
    )


async def test_the_max_priority_reaches_the_replica(networks: Networks) -> None:  # noqa: F811
    async with networks.response.unit_of_work() as uow:
        uow.session.add(Profile(name="modest", allow_all=True, max_priority=3))
    await export_all(networks.response_ctx)
    await import_pending(networks.request_ctx)

    async with networks.request.unit_of_work() as uow:
        replica = await uow.session.scalar(
            select(ReplicaProfile.max_priority).where(ReplicaProfile.name == "modest")
        )
    assert replica == 3


def test_the_cli_sets_a_profiles_max_priority(cli: CliRunner) -> None:  # noqa: F811
    assert cli.invoke(app, ["seed"]).exit_code == 0

    lowered = cli.invoke(app, ["profiles", "set-max-priority", "premium", "4"])
    too_high = cli.invoke(app, ["profiles", "set-max-priority", "premium", "10"])
    listed = cli.invoke(app, ["profiles", "list"])

    assert lowered.exit_code == 0, lowered.output
    assert too_high.exit_code == 2
    [premium] = [line for line in listed.output.splitlines() if "premium" in line]
    assert premium.split("│")[-2].strip() == "4"
