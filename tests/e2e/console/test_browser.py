"""The consoles in a real browser: headless Chromium against both networks served in-process."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from shared.exchange.keys import peer_key_path, public_key_path
from tests.e2e.console.conftest import Visitor
from tests.e2e.console.system import PASSWORD, ConsoleSystem

# Not traced by coverage: the stories run both apps in-process for tens of seconds; their
# code is measured by the page tests, and tracing them cost more than the stories themselves.
pytestmark = [pytest.mark.slow, pytest.mark.no_cover]
Tab = Callable[[str], Visitor]


def submit_ask(user: Visitor, system: ConsoleSystem, question: str) -> str:
    """The user asks an operator through the generated form; answers the request's page URL."""
    page = user.page
    page.get_by_role("link", name="Ask an operator").click()
    page.get_by_label("Question").fill(question)
    user.seen("ask-form")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Request: ask")).to_be_visible()
    user.seen("ask-submitted")
    return page.url


def test_an_operator_answers_and_the_user_sees_the_answer_appear(
    system: ConsoleSystem, open_tab: Tab
) -> None:
    user = open_tab("user")
    user.log_in(system.request_url, "uma")
    expect(user.page.get_by_role("heading", name="Submit a request")).to_be_visible()
    user.seen("portal")
    submit_ask(user, system, "How many bolts are left?")
    system.move()

    operator = open_tab("operator")
    operator.log_in(system.response_url, "olga")
    expect(operator.page.get_by_role("heading", name="Queue")).to_be_visible()
    operator.seen("queue")
    operator.page.get_by_role("row", name=re.compile("ask")).get_by_role("link").first.click()
    operator.seen("request")
    operator.page.get_by_role("button", name="Claim").click()
    expect(operator.page.get_by_text("Claimed by olga")).to_be_visible()
    operator.page.get_by_label("Body", exact=True).fill('[{"part": "bolt", "left": 12}]')
    operator.seen("claimed")
    operator.page.get_by_role("button", name="Send").click()
    expect(operator.page.locator("#status-value")).to_have_text("answered")
    operator.seen("answered")

    system.move()
    # No reload: the page polls its status and shows the answer once the request is final.
    answer = user.page.get_by_role("table", name="1 record")
    expect(answer).to_be_visible(timeout=15_000)
    expect(answer.get_by_role("cell", name="bolt")).to_be_visible()
    user.seen("answer")
    with user.page.expect_download() as download:
        user.page.get_by_role("link", name="Download CSV").click()
    assert download.value.path().read_bytes() == b"part,left\r\nbolt,12\r\n"
    user.page.get_by_role("link", name="My requests").click()
    expect(user.page.get_by_role("cell", name="delivered")).to_be_visible()
    user.seen("my-requests")
    user.page.get_by_role("link", name="My quota").click()
    expect(user.page.get_by_text("Profile: default")).to_be_visible()
    user.seen("quota")


def test_a_wrong_value_shows_inline_then_the_answer_is_a_table(
    system: ConsoleSystem, open_tab: Tab
) -> None:
    user = open_tab("user")
    user.log_in(system.request_url, "uma")
    user.page.get_by_role("link", name="Parts in stock").click()
    user.seen("parts-form")
    field = user.page.get_by_label("At least (required)")
    field.fill("-5")
    user.page.get_by_role("button", name="Submit").click()
    expect(user.page.get_by_role("alert")).to_contain_text("less than the minimum of 0")
    expect(field).to_have_attribute("aria-invalid", "true")
    user.seen("inline-error", refused=True)  # answered 422, like the API
    user.page.get_by_label("At least (required)").fill("1")
    user.page.get_by_role("button", name="Submit").click()
    expect(user.page.get_by_role("heading", name="Request: parts")).to_be_visible()
    system.move()  # over, answered by the sql handler, back
    table = user.page.get_by_role("table", name="2 records")
    expect(table).to_be_visible(timeout=15_000)
    expect(table.get_by_role("row")).to_have_count(3)  # header, bolt, nut
    user.seen("table")


ADMIN_PAGES = {
    "Requests by status": "Requests by status",
    "Users": "Users",
    "Cache": "Response cache",
    "Transfer": "Transfer",
    "Audit": "Audit",
    "Alerts": "Alerts",
    "Tasks": "Tasks",
}
"""The request network's admin links and the heading of the page each opens (the last four
are the pages both networks mount)."""


def test_a_plain_user_sees_no_staff_link_and_is_refused_the_pages(
    system: ConsoleSystem, open_tab: Tab
) -> None:
    user = open_tab("user")
    user.log_in(system.response_url, "uma")
    # Home is the queue, which a plain user may not see.
    expect(user.page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(user.page.get_by_role("link", name="Queue")).to_have_count(0)
    expect(user.page.get_by_role("link", name="Failed requests")).to_have_count(0)
    user.seen("queue-refused", refused=True)
    refused = user.page.goto(f"{system.response_url}/console/failed")
    assert refused is not None
    assert refused.status == 403
    user.seen("failed-refused", refused=True)

    # On the request network: the portal, with no admin link, and the admin pages refused.
    user.log_in(system.request_url, "uma")
    user.page.get_by_role("link", name="My API keys").click()
    expect(user.page.get_by_role("heading", name="My API keys")).to_be_visible()
    user.seen("api-keys")
    for link in ADMIN_PAGES:
        expect(user.page.get_by_role("link", name=link, exact=True)).to_have_count(0)
    for path in ("/console/admin/users", "/console/admin/cache", "/console/transfer"):
        answer = user.page.goto(f"{system.request_url}{path}")
        assert answer is not None
        assert answer.status == 403
    expect(user.page.get_by_role("heading", name="Not allowed")).to_be_visible()
    user.seen("admin-refused", refused=True)

    # What the user was refused, an admin opens from the navigation.
    admin = open_tab("admin")
    admin.log_in(system.request_url, "ada")
    for link, heading in ADMIN_PAGES.items():
        admin.page.get_by_role("link", name=link, exact=True).click()
        expect(admin.page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        admin.seen(link)
    admin.page.get_by_role("link", name="Users", exact=True).click()
    admin.page.get_by_role("link", name="uma").click()
    admin.page.get_by_role("button", name="Reset the quota of uma").click()
    expect(admin.page.get_by_role("status")).to_have_text("The quota of uma was reset.")
    admin.seen("user")


def test_an_admin_retries_failed_requests(system: ConsoleSystem, open_tab: Tab) -> None:
    user = open_tab("user")
    user.log_in(system.request_url, "uma")
    for question in ("first to fail", "second to fail"):
        user.page.goto(f"{system.request_url}/console/types")
        submit_ask(user, system, question)
    system.move()

    admin = open_tab("admin")
    admin.log_in(system.response_url, "ada")
    admin.page.get_by_role("combobox", name="Status").select_option("received")
    admin.page.get_by_role("button", name="Filter", exact=True).click()
    for question in ("first to fail", "second to fail"):
        admin.page.goto(f"{system.response_url}/console/queue?status=received")
        admin.page.get_by_role("row", name=re.compile("ask")).get_by_role("link").first.click()
        admin.page.get_by_label("Outcome").select_option("failed")
        admin.page.get_by_label("Reason (for failed or rejected)").fill(
            f"archive offline ({question})"
        )
        admin.page.get_by_role("button", name="Send").click()
        expect(admin.page.locator("#status-value")).to_have_text("failed")
    admin.seen("failed-one")

    admin.page.get_by_role("link", name="Failed requests").click()
    admin.page.get_by_label("Reason contains").fill("archive offline")
    admin.page.get_by_role("button", name="Filter", exact=True).click()
    expect(admin.page.get_by_role("button", name=re.compile("^Retry request"))).to_have_count(2)
    admin.seen("failed-list")
    admin.page.get_by_role("button", name="Retry all failed requests matching this filter").click()
    expect(admin.page.get_by_role("status")).to_have_text("Retried 2 request(s); skipped 0.")
    expect(admin.page.get_by_role("button", name=re.compile("^Retry request"))).to_have_count(0)
    admin.seen("retried")

    # The users and catalog pages, seen once each (accessible names, no console errors).
    admin.page.get_by_role("link", name="Users", exact=True).click()
    admin.seen("users")
    admin.page.get_by_role("link", name="uma", exact=True).click()
    expect(admin.page.get_by_role("heading", name="User uma")).to_be_visible()
    admin.seen("user")
    admin.page.get_by_role("link", name="Profiles").click()
    admin.seen("profiles")
    admin.page.get_by_role("link", name="Request types").click()
    admin.page.get_by_role("link", name="parts", exact=True).click()
    admin.page.get_by_label("Parameter schema (JSON Schema of an object)").fill(
        '{"type": "object", "properties": {"part": {"type": "string", "title": "Part name"}}}'
    )
    expect(admin.page.get_by_label("Part name")).to_be_visible()  # the htmx preview
    admin.seen("type-preview")
    admin.page.get_by_label("At least").fill("1")
    admin.page.get_by_role("button", name="Try", exact=True).click()
    expect(admin.page.locator("#try-answer table")).to_be_visible()
    admin.seen("type-tried")


def test_a_stale_form_or_no_session_sends_the_user_to_log_in(
    system: ConsoleSystem, open_tab: Tab
) -> None:
    stranger = open_tab("stranger")
    stranger.page.goto(f"{system.request_url}/console/requests")
    expect(stranger.page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(stranger.page.get_by_role("status")).to_have_text("Please log in.")
    stranger.seen("no-session")

    user = open_tab("user")
    user.log_in(system.request_url, "uma")
    user.page.get_by_role("link", name="Ask an operator").click()
    user.page.get_by_label("Question").fill("asked from a stale page")
    # Logged in again in another tab of the same browser: a new session, so this page's
    # CSRF token belongs to a session that is gone.
    other = user.page.context.new_page()
    other.goto(f"{system.request_url}/console/login")
    other.get_by_label("Username").fill("uma")
    other.get_by_label("Password").fill("a console test passphrase")
    other.get_by_role("button", name="Log in").click()
    expect(other.get_by_role("heading", name="Submit a request")).to_be_visible()
    user.page.get_by_role("button", name="Submit").click()
    expect(user.page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(user.page.get_by_role("status")).to_contain_text("The form was stale")
    user.seen("stale-csrf")


def test_an_admin_requeues_a_quarantined_batch(system: ConsoleSystem, open_tab: Tab) -> None:
    # A request submitted through the API (the portal has its own stories): a batch to send.
    with httpx.Client(base_url=system.request_url) as api:
        login = api.post("/auth/token", data={"username": "uma", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        body = {"request_type": "ask", "parameters": {"question": "Is the batch through?"}}
        assert api.post("/requests", json=body, headers=headers).status_code == 201
    # The response network checks the requests' batch against the wrong key (its own), as if
    # the peer's key had been replaced: the import refuses the batch and quarantines it.
    peer_key = peer_key_path(system.response_settings)
    right_key = peer_key.read_bytes()
    shutil.copyfile(public_key_path(system.response_settings), peer_key)
    system.move()

    admin = open_tab("admin")
    admin.log_in(system.response_url, "ada")
    admin.page.get_by_role("link", name="Overview").click()
    expect(admin.page.get_by_role("link", name="1 quarantined")).to_be_visible()
    expect(admin.page.get_by_role("img", name=re.compile("^Batches per hour"))).to_be_visible()
    admin.seen("overview")
    admin.page.get_by_role("link", name="Transfer").click()
    quarantined = admin.page.get_by_role("table").filter(has_text="signature")
    expect(quarantined.get_by_role("row")).to_have_count(2)
    admin.seen("transfer-quarantined")

    peer_key.write_bytes(right_key)  # the cause fixed
    quarantined.get_by_role("button", name=re.compile("^Requeue requests-")).click()
    expect(admin.page.get_by_role("status")).to_contain_text("the next import tries it again")
    expect(admin.page.get_by_text("No batch is in quarantine.")).to_be_visible()
    admin.seen("transfer-requeued")
    system.move()
    admin.page.get_by_role("link", name="Queue").click()
    expect(admin.page.get_by_role("row", name=re.compile("ask"))).not_to_have_count(0)

    admin.page.get_by_role("link", name="Audit").click()
    admin.page.get_by_label("Action").fill("transfer.batch_requeued")
    admin.page.get_by_role("button", name="Filter").click()
    expect(admin.page.get_by_role("cell", name="transfer.batch_requeued")).to_have_count(1)
    admin.seen("audit")
    admin.page.get_by_role("link", name="Alerts").click()
    expect(admin.page.get_by_role("heading", name="Alerts")).to_be_visible()
    admin.seen("alerts")
    admin.page.get_by_role("link", name="Tasks").click()
    expect(admin.page.get_by_role("cell", name="response.transfer_import")).to_be_visible()
    admin.seen("tasks")
