"""The catalog crosses the gap: what the master defines is what the replica validates against."""

from __future__ import annotations

from sqlalchemy import select

from request_network.catalog.models import Grant as ReplicaGrant
from request_network.catalog.models import Profile as ReplicaProfile
from request_network.catalog.models import RequestType as ReplicaType
from response_network.bootstrap import seed_catalog
from response_network.catalog.models import Grant, Profile, RequestType
from shared.exchange.export import export_all
from shared.exchange.importing import import_pending
from tests.shared.exchange.conftest import Networks

SCHEMA = {
    "type": "object",
    "properties": {"q": {"type": "string", "maxLength": 100}},
    "required": ["q"],
}


async def sync(networks: Networks) -> None:
    await export_all(networks.response_ctx)
    results = await import_pending(networks.request_ctx)
    assert all(r.status == "applied" for r in results), results


async def test_types_profiles_and_grants_reach_the_replica(networks: Networks) -> None:
    [user_id] = await networks.create_users(1)
    async with networks.response.unit_of_work() as uow:
        uow.session.add_all(
            [
                RequestType(
                    name="lookup",
                    title="Look something up",
                    handler="echo",
                    handler_settings={},
                    parameter_schema=SCHEMA,
                ),
                Profile(
                    name="analysts",
                    limits={"day": {"soft": 80, "hard": 100}},
                    type_limits={"lookup": {"minute": {"soft": 1, "hard": 2}}},
                    allowed_types=["lookup"],
                ),
                Grant(
                    user_id=user_id,
                    request_type="lookup",
                    limits={"hour": {"soft": 3, "hard": 4}},
                ),
            ]
        )
    await sync(networks)

    async with networks.request.unit_of_work() as uow:
        kind = await uow.session.scalar(select(ReplicaType).where(ReplicaType.name == "lookup"))
        profile = await uow.session.scalar(
            select(ReplicaProfile).where(ReplicaProfile.name == "analysts")
        )
        grants = (await uow.session.scalars(select(ReplicaGrant))).all()
    assert kind is not None
    assert profile is not None
    assert (kind.title, kind.parameter_schema, kind.version) == ("Look something up", SCHEMA, 1)
    assert (profile.limits, profile.allowed_types, profile.allow_all) == (
        {"day": {"soft": 80, "hard": 100}},
        ["lookup"],
        False,
    )
    assert profile.type_limits == {"lookup": {"minute": {"soft": 1, "hard": 2}}}
    assert [(g.user_id, g.request_type, g.limits, g.revoked_at) for g in grants] == [
        (user_id, "lookup", {"hour": {"soft": 3, "hard": 4}}, None)
    ]


async def test_a_change_travels_as_a_new_version_and_the_seed_once(networks: Networks) -> None:
    assert await seed_catalog(networks.response) != []
    assert await seed_catalog(networks.response) == []
    await sync(networks)
    async with networks.response.unit_of_work() as uow:
        echo = await uow.session.scalar(select(RequestType).where(RequestType.name == "echo"))
        assert echo is not None
        echo.title = "Echo, renamed"
    await sync(networks)

    async with networks.request.unit_of_work() as uow:
        types = (await uow.session.scalars(select(ReplicaType))).all()
        profiles = (await uow.session.scalars(select(ReplicaProfile.name))).all()
    assert [(t.name, t.title, t.version) for t in types] == [("echo", "Echo, renamed", 2)]
    assert sorted(profiles) == ["basic", "default", "premium", "standard"]
