"""The console's page links: forward by the service's cursor, back by the trail of earlier
pages, the filters kept, the trail bounded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from shared.platform.console.paging import MAX_TRAIL, Paging


def query(address: str | None) -> dict[str, list[str]]:
    assert address is not None
    return parse_qs(urlsplit(address).query, keep_blank_values=True)


def test_the_first_page_links_on_with_its_filters_and_nothing_back() -> None:
    links = Paging(cursor=None, limit=50).links("/queue", "c2", status="failed", request_type="")
    assert (links.number, links.first_row, links.previous, links.first) == (1, 1, None, None)
    assert query(links.next) == {"status": ["failed"], "cursor": ["c2"], "back": [""]}


def test_a_later_page_links_back_to_the_one_before_and_to_the_first() -> None:
    third = Paging(cursor="c3", limit=10, back=["", "c2"]).links("/queue", None)
    assert (third.number, third.first_row, third.next) == (3, 21, None)
    assert query(third.previous) == {"limit": ["10"], "cursor": ["c2"], "back": [""]}
    assert third.first == "/console/queue?limit=10"
    second = Paging(cursor="c2", limit=50, back=[""]).links("/queue", "c3")
    assert second.previous == second.first == "/console/queue"
    assert query(second.next)["back"] == ["", "c2"]


def test_past_the_trail_the_number_is_unknown_and_back_leads_to_the_first_page() -> None:
    trail = [f"c{n}" for n in range(2, MAX_TRAIL + 2)]
    far = Paging(cursor="cX", limit=50, back=trail).links("/audit", "cY")
    assert far.number is None
    assert far.first_row is None
    assert len(query(far.next)["back"]) == MAX_TRAIL
    assert query(far.next)["back"][-1] == "cX"
    lost = Paging(cursor="c9", limit=50).links("/audit", None)
    assert lost.number is None
    assert lost.previous == lost.first == "/console/audit"
