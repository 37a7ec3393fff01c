"""Login throttling on the response network: guessing slows down per (username, address) and
per address, and never keeps an account's owner out from where they log in."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from response_network.runtime import ResponseRuntime
from response_network.users.models import Role
from tests.response_network.auth.conftest import ClientWith
from tests.response_network.conftest import UserFactory
from tests.response_network.identity import PASSWORD, audit_events, login

WRONG = "not the password at all"
PROXY = "127.0.0.1"
"""The test client's own address: trusted as a proxy where a test sets FORWARDED_ALLOW_IPS."""


async def attempt(
    client: httpx.AsyncClient, username: str, password: str = WRONG, *, source: str
) -> httpx.Response:
    """A login as if from `source`, as a proxy in front of the API would forward it."""
    return await client.post(
        "/auth/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": source},
    )


async def until_admitted(client: httpx.AsyncClient, username: str, source: str) -> int:
    """Wrong tries until one is not refused with 429; its status (a deadline, not a sleep)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = await attempt(client, username, source=source)
        if answer.status_code != 429:
            return answer.status_code
        await asyncio.sleep(0.05)
    raise AssertionError(f"{username} from {source} still refused after 30 s")


async def test_hundreds_of_wrong_passwords_elsewhere_do_not_keep_the_admin_out(
    client_with: ClientWith, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("admin", role=Role.ADMIN)
    # Ten addresses, thirty guesses each; a long first wait keeps the count exact.
    async with client_with(forwarded_allow_ips=PROXY, login_delay_seconds=60) as client:
        statuses = Counter(
            [
                (await attempt(client, "admin", source=f"203.0.113.{source}")).status_code
                for source in range(10)
                for _ in range(30)
            ]
        )
        own = await login(client, "admin")  # from the admin's own address

    assert own.status_code == 200
    # Five tries per address had their password checked; the other 250 cost no hash.
    assert statuses == {401: 50, 429: 250}
    failures = [
        e for e in await audit_events(response_runtime, "auth.login") if e.result != "success"
    ]
    assert len(failures) == 50


async def test_failures_for_five_usernames_do_not_block_a_sixth_user_there(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with() as client:  # one office behind one NAT address
        for name in ("bob", "carol", "dave", "erin", "frank"):
            assert (await login(client, name, WRONG)).status_code == 401
        answer = await login(client, "alice")

    assert answer.status_code == 200


async def test_a_username_guessed_from_one_address_waits_ever_longer_there_only(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    attacker, owner = "198.51.100.66", "192.0.2.10"
    async with client_with(forwarded_allow_ips=PROXY, login_delay_seconds=1) as client:
        first = [(await attempt(client, "alice", source=attacker)).status_code for _ in range(5)]
        waits = []
        for turn in range(3):
            refused = await attempt(client, "alice", PASSWORD, source=attacker)
            assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited.login")
            waits.append(int(refused.headers["retry-after"]))
            if turn < 2:
                assert await until_admitted(client, "alice", attacker) == 401
        from_the_owner = await attempt(client, "alice", PASSWORD, source=owner)

    assert first == [401] * 5
    assert waits == [1, 2, 4]
    assert from_the_owner.status_code == 200


async def test_racing_wrong_passwords_are_counted_exactly(
    client_with: ClientWith, response_runtime: ResponseRuntime, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with(login_delay_seconds=60) as client:
        answers = await asyncio.gather(*(login(client, "alice", WRONG) for _ in range(20)))
        after = await login(client, "alice")

    assert Counter(answer.status_code for answer in answers) == {401: 5, 429: 15}
    assert len(await audit_events(response_runtime, "auth.login")) == 5
    assert after.status_code == 429
    # The first turn is 60 s, whichever racing try took it.
    assert 0 < int(after.headers["retry-after"]) <= 60


async def test_an_address_trying_many_usernames_is_refused_until_its_window_ends(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with(forwarded_allow_ips=PROXY, login_address_max_failures=8) as client:
        sprayed = [
            (await attempt(client, f"user{n}", source="198.51.100.9")).status_code
            for n in range(10)
        ]
        there = await attempt(client, "alice", PASSWORD, source="198.51.100.9")
        elsewhere = await attempt(client, "alice", PASSWORD, source="192.0.2.10")

    assert sprayed == [401] * 8 + [429] * 2
    assert there.status_code == 429  # even the right password, while the address waits
    assert 0 < int(there.headers["retry-after"]) <= 15 * 60
    assert elsewhere.status_code == 200


async def test_a_correct_login_clears_its_pair_and_is_not_counted_for_the_address(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with(login_delay_seconds=60, login_address_max_failures=9) as client:
        before = [(await login(client, "alice", WRONG)).status_code for _ in range(4)]
        good = await login(client, "alice")
        again = [(await login(client, "alice", WRONG)).status_code for _ in range(4)]
        ninth = await login(client, "bob", WRONG)  # 8 failures so far: the login was none
        tenth = await login(client, "carol", WRONG)  # but it did not clear the address

    assert (before, good.status_code, again) == ([401] * 4, 200, [401] * 4)
    assert (ninth.status_code, tenth.status_code) == (401, 429)


async def test_unknown_usernames_are_throttled_the_same_way(
    client_with: ClientWith, make_user: UserFactory
) -> None:
    await make_user("alice")
    async with client_with(login_delay_seconds=60) as client:
        ghost = [(await login(client, "ghost", WRONG)).status_code for _ in range(6)]
        alice = [(await login(client, "alice", WRONG)).status_code for _ in range(6)]

    assert ghost == alice == [401] * 5 + [429]
