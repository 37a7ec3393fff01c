"""The operator queue and failed requests: the same checks and services as the API."""

from __future__ import annotations

import re

import httpx

from response_network.users.models import User
from shared.platform.console.session import csrf_token_for
from tests.request_network.console.conftest import csrf_of, page_link
from tests.response_network.console.conftest import signed_in_as
from tests.response_network.requests.conftest import Master


async def test_an_operator_claims_answers_and_the_request_is_answered(
    response_client: httpx.AsyncClient, master: Master, operator: User
) -> None:
    request_id = await master.arrive("manual", parameters={"q": "stock of bolts"})
    client = await signed_in_as(response_client, "olga")
    queue = await client.get("/console/queue")
    assert f'href="/console/queue/{request_id}"' in queue.text
    assert 'href="/console/failed"' not in queue.text  # operators do not retry
    unanswered = await client.get("/console/queue?status=&request_type=")  # the "any" option
    assert f'href="/console/queue/{request_id}"' in unanswered.text

    page = await client.get(f"/console/queue/{request_id}")
    claimed = await client.post(
        f"/console/queue/{request_id}/claim", data={"csrf_token": csrf_of(page)}
    )
    assert claimed.status_code == 303
    page = await client.get(f"/console/queue/{request_id}")
    assert "Claimed by <strong>olga</strong>" in page.text
    token = csrf_of(page)

    bad = await client.post(
        f"/console/queue/{request_id}/response",
        data={"csrf_token": token, "status": "answered", "format": "json", "body": "[{"},
    )
    assert bad.status_code == 422
    assert 'id="answer-body-error" role="alert"' in bad.text
    no_reason = await client.post(
        f"/console/queue/{request_id}/response",
        data={"csrf_token": token, "status": "rejected", "format": "json", "body": ""},
    )
    assert "a rejected response needs a reason" in no_reason.text

    answered = await client.post(
        f"/console/queue/{request_id}/response",
        data={
            "csrf_token": token,
            "status": "answered",
            "format": "json",
            "body": '[{"part": "bolt", "count": 12}]',
        },
    )
    assert answered.status_code == 303
    assert (await master.request(request_id)).status == "answered"
    assert (await master.response(request_id)).answered_by == "olga"
    after = await client.get(f"/console/queue/{request_id}")
    assert re.search(r"<th scope=\"col\">part</th>", after.text)
    assert "<td>bolt</td>" in after.text


async def test_release_gives_the_claim_up(
    response_client: httpx.AsyncClient, master: Master, operator: User
) -> None:
    request_id = await master.arrive("manual")
    client = await signed_in_as(response_client, "olga")
    page = await client.get(f"/console/queue/{request_id}")
    await client.post(f"/console/queue/{request_id}/claim", data={"csrf_token": csrf_of(page)})
    page = await client.get(f"/console/queue/{request_id}")
    released = await client.post(
        f"/console/queue/{request_id}/release", data={"csrf_token": csrf_of(page)}
    )
    assert released.status_code == 303
    page = await client.get(f"/console/queue/{request_id}")
    assert "Claimed by" not in page.text
    assert ">Claim</button>" in page.text


async def test_a_plain_user_sees_no_operator_link_and_is_refused_the_pages(
    response_client: httpx.AsyncClient, master: Master, plain_user: User
) -> None:
    request_id = await master.arrive("manual")
    client = await signed_in_as(response_client, "paula")
    home = await client.get("/console/queue")
    assert home.status_code == 403
    assert home.headers["content-type"].startswith("text/html")
    assert 'href="/console/queue"' not in home.text
    assert 'href="/console/failed"' not in home.text
    assert (await client.get(f"/console/queue/{request_id}")).status_code == 403
    assert (await client.get("/console/failed")).status_code == 403
    token = client.cookies["airlock_console"]
    claim = await client.post(
        f"/console/queue/{request_id}/claim", data={"csrf_token": csrf_token_for(token)}
    )
    assert claim.status_code == 403
    assert (await master.request(request_id)).claimed_by is None


async def test_an_admin_retries_one_then_every_failed_request_matching_a_filter(
    response_client: httpx.AsyncClient, master: Master, admin_user: User
) -> None:
    ids = [await master.arrive("manual") for _ in range(3)]
    client = await signed_in_as(response_client, "ada")
    for request_id, reason in zip(ids, ("no data", "no data", "source offline"), strict=True):
        page = await client.get(f"/console/queue/{request_id}")
        failed = await client.post(
            f"/console/queue/{request_id}/response",
            data={"csrf_token": csrf_of(page), "status": "failed", "reason": reason},
        )
        assert failed.status_code == 303, failed.text
    listing = await client.get("/console/failed")
    assert listing.text.count('aria-label="Retry request') == 3
    first = await client.get("/console/failed", params={"limit": 2, "reason": "o"})
    next_address = page_link(first, "next")
    assert next_address is not None
    assert "reason=o" in next_address
    second = await client.get(next_address)
    assert first.text.count('aria-label="Retry request') == 2
    assert f'aria-label="Retry request {ids[2]}"' in second.text  # oldest failure first
    assert second.text.count('aria-label="Retry request') == 1

    one = await client.post(
        f"/console/failed/{ids[2]}/retry", data={"csrf_token": csrf_of(listing)}
    )
    assert one.status_code == 303
    page = await client.get(one.headers["location"])
    assert "Retried 1 request(s)" in page.text
    assert (await master.request(ids[2])).status != "failed"

    filtered = await client.get("/console/failed", params={"reason": "no data"})
    assert filtered.text.count('aria-label="Retry request') == 2
    every = await client.post(
        "/console/failed/retry", data={"csrf_token": csrf_of(filtered), "reason": "no data"}
    )
    page = await client.get(every.headers["location"])
    assert "Retried 2 request(s); skipped 0." in page.text
    assert "No failed requests" in page.text
    assert len(await master.audit("request.retry")) == 3


async def test_the_queue_pages_forward_and_back_and_bounds_its_page_size(
    response_client: httpx.AsyncClient, master: Master, operator: User
) -> None:
    ids = {str(await master.arrive("manual")) for _ in range(3)}
    client = await signed_in_as(response_client, "olga")

    def listed(page: httpx.Response) -> list[str]:
        return re.findall(r'href="/console/queue/([0-9a-f-]{36})"', page.text)

    first = await client.get("/console/queue", params={"limit": 2, "request_type": "manual"})
    next_address = page_link(first, "next")
    assert next_address is not None
    second = await client.get(next_address)
    previous_address = page_link(second, "prev")
    assert previous_address is not None

    assert len(listed(first)) == 2
    assert set(listed(first) + listed(second)) == ids
    assert "Page 2: requests 3 to 3" in second.text
    assert listed(await client.get(previous_address)) == listed(first)
    too_long = next_address + "&back=x" * 20  # a real cursor, too long a trail
    for wrong in ("/console/queue?limit=201", "/console/queue?cursor=nope", too_long):
        refused = await client.get(wrong)
        assert refused.status_code == 422, wrong
        assert "<!doctype html>" in refused.text
