"""`seed --demo`: a new user can search something at once."""

from __future__ import annotations

import httpx

from response_network.bootstrap import seed_demo
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings


async def test_demo_seed_is_idempotent_and_its_type_answers_a_search(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    admin_headers: dict[str, str],
) -> None:
    first = await seed_demo(response_runtime, response_settings)
    again = await seed_demo(response_runtime, response_settings)
    assert first == ["demo index equipment (200 documents)", "request type equipment_search"]
    assert again == ["demo index equipment (200 documents)"]

    tried = await response_client.post(
        "/admin/request-types/equipment_search/try",
        json={"parameters": {"q": "valve", "status": "in_service"}},
        headers=admin_headers,
    )

    assert tried.status_code == 200, tried.text
    hits = tried.json()["body"]["hits"]
    assert hits
    assert all("valve" in (h["source"]["title"] + h["source"]["summary"]).lower() for h in hits)
    assert {h["source"]["status"] for h in hits} == {"in_service"}
