"""`seed --demo`: a new user can search something at once."""

from __future__ import annotations

import httpx

from response_network.bootstrap import seed_demo
from response_network.catalog.schemas import TryAnswer, TryRequest
from response_network.catalog.seed import DEMO_SEARCH
from response_network.runtime import ResponseRuntime
from response_network.search.demo import DEMO_FILE
from response_network.search.documents import read_jsonl
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


def test_the_demo_type_filters_on_every_status_the_demo_index_holds() -> None:
    held = {document["status"] for document in read_jsonl(DEMO_FILE)}

    offered = DEMO_SEARCH["parameter_schema"]["properties"]["status"]["enum"]

    assert sorted(offered) == sorted(held)


async def test_the_try_example_is_what_the_demo_type_answers(
    response_client: httpx.AsyncClient,
    response_runtime: ResponseRuntime,
    response_settings: ResponseSettings,
    admin_headers: dict[str, str],
) -> None:
    """The published example of `try` is a real answer of the demo index (scores aside: they
    depend on the search backend)."""
    (sent,) = TryRequest.model_json_schema()["examples"]
    (shown,) = TryAnswer.model_json_schema()["examples"]
    await seed_demo(response_runtime, response_settings)

    tried = await response_client.post(
        "/admin/request-types/equipment_search/try", json=sent, headers=admin_headers
    )

    assert tried.status_code == 200, tried.text
    answered = tried.json()
    assert answered["body"]["total"] == shown["body"]["total"]
    assert [(h["id"], h["source"]) for h in answered["body"]["hits"]] == [
        (h["id"], h["source"]) for h in shown["body"]["hits"]
    ]
