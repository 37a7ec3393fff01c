"""Cache and lock backends behave the same in-process (or on files) and on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import DataError

from core.cache import Cache, InProcessCache, RedisCache, connect_redis, read_ahead_scope
from core.locks import FileLocks, Locks, RedisLocks
from tests.waiting import until


@pytest.fixture(params=["in_process", "redis"])
async def cache(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Cache]:
    backend: Cache
    if request.param == "redis":
        backend = RedisCache(connect_redis(redis_url), "test")
    else:
        backend = InProcessCache("test")
    yield backend
    await backend.close()


@pytest.fixture(params=["file", "redis"])
async def locks(
    request: pytest.FixtureRequest, redis_url: str, tmp_path: Path
) -> AsyncIterator[Locks]:
    if request.param == "redis":
        client = Redis.from_url(redis_url)
        yield RedisLocks(client, "test")
        await client.aclose()
    else:
        yield FileLocks(tmp_path / "locks")


async def test_set_get_and_expiry(cache: Cache) -> None:
    await cache.set("a", b"1", ttl=0.2)
    await cache.set("b", b"2")
    assert await cache.get("a") == b"1"
    await asyncio.sleep(0.3)
    assert await cache.get("a") is None
    assert await cache.get("b") == b"2"
    assert await cache.ttl("b") is None


async def test_delete_by_prefix_leaves_other_keys(cache: Cache) -> None:
    for key in ("user:1:x", "user:1:y", "user:2:x"):
        await cache.set(key, b"v")
    assert await cache.delete_prefix("user:1:") == 2
    assert await cache.get("user:2:x") == b"v"
    assert await cache.delete("user:2:x", "missing") == 1


async def test_incr_counts_within_its_window(cache: Cache) -> None:
    assert [await cache.incr("n", ttl=10) for _ in range(3)] == [1, 2, 3]
    remaining = await cache.ttl("n")
    assert remaining is not None
    assert 0 < remaining <= 10


async def test_incr_adds_the_amount_and_keeps_the_first_ttl(cache: Cache) -> None:
    assert await cache.incr("answers", ttl=60) == 1
    assert await cache.incr("answers", ttl=5, amount=41) == 42
    remaining = await cache.ttl("answers")
    assert remaining is not None
    assert remaining > 5


async def test_expire_moves_a_keys_expiry_and_keeps_its_value(cache: Cache) -> None:
    assert await cache.incr("count", ttl=60) == 1
    await cache.expire("count", ttl=600)
    await cache.expire("absent", ttl=600)
    remaining = await cache.ttl("count")
    assert remaining is not None
    assert 60 < remaining <= 600
    assert await cache.peek("count") == b"1"
    assert await cache.peek("absent") is None


async def test_stats_count_hits_and_misses(cache: Cache) -> None:
    await cache.set("k", b"v")
    await cache.get("k")
    await cache.get("k")
    await cache.get("absent")
    stats = await cache.stats()
    assert (stats.hits, stats.misses, stats.keys) == (2, 1, 1)
    assert stats.hit_ratio == pytest.approx(2 / 3)
    await cache.ping()


async def test_lock_is_exclusive_until_released(locks: Locks) -> None:
    async with locks.hold("export-users") as first:
        async with locks.hold("export-users") as second:
            assert (bool(first), bool(second)) == (True, False)
        async with locks.hold("import-users") as other:
            assert other
    async with locks.hold("export-users") as again:
        assert again


async def test_a_waiting_caller_gets_the_lock_once_it_is_released(locks: Locks) -> None:
    order: list[str] = []

    async def first() -> None:
        async with locks.hold("export-requests") as held:
            assert held
            order.append("first in")
            await asyncio.sleep(0.2)
            order.append("first out")

    async def second() -> bool:
        await asyncio.sleep(0.05)
        async with locks.hold("export-requests", wait=5) as held:
            order.append("second in")
            return bool(held)

    _, waited = await asyncio.gather(first(), second())
    assert waited is True
    assert order == ["first in", "first out", "second in"]

    async with (
        locks.hold("export-requests") as holding,
        locks.hold("export-requests", wait=0.1) as late,
    ):
        assert (bool(holding), bool(late)) == (True, False)


async def test_a_fill_stores_only_if_no_writer_came_between(cache: Cache) -> None:
    untouched = await cache.fill_ticket("answer:1")
    assert await cache.set_if_current(untouched, b"v1", ttl=60)

    stale = await cache.fill_ticket("answer:1")
    await cache.begin_invalidation(["answer:1", "answer:2"], hold=60)
    during = await cache.fill_ticket("answer:1")
    dropped = await cache.peek("answer:1")
    await cache.end_invalidation(["answer:1", "answer:2"])
    after = await cache.fill_ticket("answer:1")

    assert dropped is None
    assert during.blocked
    assert not after.blocked
    assert not await cache.set_if_current(stale, b"old", ttl=60)
    assert not await cache.set_if_current(during, b"old", ttl=60)
    assert await cache.peek("answer:1") is None
    assert await cache.set_if_current(after, b"v2", ttl=60)
    assert await cache.get("answer:1") == b"v2"


async def test_a_crashed_writers_mark_expires(cache: Cache) -> None:
    await cache.begin_invalidation(["answer:1"], hold=0.1)
    assert (await cache.fill_ticket("answer:1")).blocked
    await asyncio.sleep(0.2)
    ticket = await cache.fill_ticket("answer:1")
    assert not ticket.blocked
    assert await cache.set_if_current(ticket, b"v", ttl=60)


async def test_add_and_replace_are_conditional_and_keep_the_expiry(cache: Cache) -> None:
    assert await cache.add("lock", b"a", ttl=60)
    assert not await cache.add("lock", b"b", ttl=60)
    assert not await cache.replace("lock", b"b", b"c")
    assert await cache.replace("lock", b"a", b"c")
    assert not await cache.replace("absent", b"a", b"c")
    remaining = await cache.ttl("lock")
    assert await cache.peek("lock") == b"c"
    assert remaining is not None
    assert 0 < remaining <= 60


async def test_redis_replicas_report_each_others_reads_once_counted(redis_url: str) -> None:
    """Hits and misses reach Redis a few seconds at a time; `stats` adds its own at once."""
    reader = RedisCache(Redis.from_url(redis_url), "replicas", count_every=0.3)
    admin = RedisCache(Redis.from_url(redis_url), "replicas")
    try:
        await reader.set("k", b"v")
        await reader.get("k")  # counted in memory; its add-up is not due yet
        assert (await admin.stats()).hits == 0

        await asyncio.sleep(0.3)
        await reader.get("absent")  # now due: this read's count goes out in the background
        await asyncio.sleep(0.05)
        stats = await admin.stats()
        assert (stats.hits, stats.misses) == (1, 1)

        await admin.get("k")
        assert (await admin.stats()).hits == 2  # its own reads are added before it answers
    finally:
        await reader.close()
        await admin.close()


async def test_peek_is_not_counted_and_stats_count_keys_under_a_prefix(cache: Cache) -> None:
    await cache.set("answer:1", b"v")
    await cache.set("answer:2", b"v")
    await cache.set("login:x", b"v")
    await cache.begin_invalidation(["answer:3"], hold=60)
    await cache.peek("answer:1")

    everything = await cache.stats()
    answers = await cache.stats("answer:")

    assert (everything.hits, everything.misses, everything.keys) == (0, 0, 3)
    assert answers.keys == 2


async def test_the_shared_client_sends_every_kind_of_argument_as_redis_py_would(
    redis_url: str,
) -> None:
    # connect_redis packs commands with hiredis: the values must arrive as redis-py's own
    # packing sends them, and what redis-py refuses is still refused, before anything is sent.
    client, plain = connect_redis(redis_url), Redis.from_url(redis_url)
    values: list[str | bytes | int | float] = [
        "é ü",
        b"\x00\xff raw",
        12,
        -3,
        0.1 + 0.2,
        "x" * 70_000,
    ]
    for index, value in enumerate(values):
        await client.set(f"pack:{index}", value)
    assert await plain.mget([f"pack:{index}" for index in range(len(values))]) == [
        "é ü".encode(),
        b"\x00\xff raw",
        b"12",
        b"-3",
        b"0.30000000000000004",
        b"x" * 70_000,
    ]
    assert await client.config_get("maxmemory-policy")  # a command of two words
    for refused in (None, True, object()):
        with pytest.raises(DataError):
            await client.set("pack:refused", refused)  # type: ignore[arg-type]
    assert await plain.exists("pack:refused") == 0
    await client.aclose()
    await plain.aclose()


def test_the_shared_client_keeps_tls_and_unix_sockets_while_packing_with_hiredis() -> None:
    # The packing is mixed into the class the URL chose: a rediss:// URL must stay TLS.
    for url, base in (
        ("rediss://localhost:1", SSLConnection),
        ("unix:///tmp/none.sock", UnixDomainSocketConnection),
        ("redis://localhost:1", Connection),
    ):
        connection_class = connect_redis(url).connection_pool.connection_class
        assert issubclass(connection_class, base)
        assert connection_class.pack_command.__qualname__.startswith("_HiredisPacking")


def _stream(connection: object) -> asyncio.StreamReader:
    """What the loop has read for a pooled connection (the tests wait on it, not on time)."""
    stream = connection._parser._stream  # type: ignore[attr-defined]
    assert isinstance(stream, asyncio.StreamReader)
    return stream


async def test_a_connection_redis_dropped_is_replaced_at_checkout_not_written_to(
    redis_url: str,
) -> None:
    # No retries: the command must not need one, the checkout must see the end of stream.
    client = connect_redis(redis_url)
    client.connection_pool.connection_kwargs["retry"] = Retry(NoBackoff(), 0)
    try:
        first = await client.client_id()
        (connection,) = client.connection_pool._available_connections
        async with Redis.from_url(redis_url) as admin:
            await admin.client_kill_filter(_id=first)

        async def dropped() -> bool:
            return _stream(connection).at_eof()

        await until(dropped, what="the end of the killed connection's stream", timeout=5)
        assert await client.client_id() != first
    finally:
        await client.aclose()


async def test_a_reply_nobody_read_is_not_taken_for_the_next_commands(redis_url: str) -> None:
    client = connect_redis(redis_url)
    try:
        await client.set("left", b"value")
        connection = await client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
        await connection.send_command("SET", "left", "stale")  # its "+OK" is never read
        await client.connection_pool.release(connection)

        async def arrived() -> bool:
            return bool(_stream(connection)._buffer)  # type: ignore[attr-defined]

        await until(arrived, what="the unread reply", timeout=5)
        assert await client.get("left") == b"stale"
    finally:
        await client.aclose()


async def test_a_key_read_ahead_arrives_with_the_requests_next_read_and_is_served_once(
    redis_url: str,
) -> None:
    cache, other = RedisCache(connect_redis(redis_url), "ahead"), Redis.from_url(redis_url)
    await cache.set("token", b"t")
    await cache.set("answer", b"old")
    with read_ahead_scope():
        cache.read_ahead("answer")
        assert await cache.peek("token") == b"t"  # one MGET: the answer came with it
        await other.set("ahead:answer", b"new")
        assert await cache.get("answer") == b"old"  # as of that round trip, none of its own
        assert await cache.get("answer") == b"new"  # served once: then read afresh
    await cache.close()
    await other.aclose()


async def test_a_write_or_the_end_of_the_request_drops_what_was_read_ahead(
    redis_url: str,
) -> None:
    cache, other = RedisCache(connect_redis(redis_url), "dropped"), Redis.from_url(redis_url)
    await cache.set("answer", b"old")
    with read_ahead_scope():
        cache.read_ahead("answer")
        await cache.peek("token")
        await other.set("dropped:answer", b"new")
        await cache.set("elsewhere", b"x")  # the request's own write may change what it read
        assert await cache.get("answer") == b"new"
    cache.read_ahead("answer")  # outside a request: nothing is read ahead
    await cache.peek("token")
    await other.set("dropped:answer", b"newer")
    assert await cache.get("answer") == b"newer"
    await cache.close()
    await other.aclose()
