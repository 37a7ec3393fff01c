"""The response cache on its own: one load per miss across callers and processes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from core.runtime import Runtime
from request_network.responses.cache import (
    CachedAnswer,
    Fill,
    ResponseCache,
    ResponseCacheMetrics,
    answer_key,
)
from request_network.runtime import RequestRuntime

OWNER = uuid.uuid4()


def entry(number: int = 1) -> CachedAnswer:
    return CachedAnswer(OWNER, number, True, b'{"answer":%d}' % number)


def process(
    runtime: Runtime[Any], *, fill_wait: float = 2.0, registry: CollectorRegistry | None = None
) -> ResponseCache:
    """A response cache as another API process would build it on the same backend."""
    return ResponseCache(
        runtime.cache,
        ttl=60,
        hold=60,
        fill_wait=fill_wait,
        metrics=ResponseCacheMetrics(registry or CollectorRegistry()),
    )


def loads(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("airlock_response_cache_loads_total") or 0.0


async def test_another_process_waits_for_the_value_instead_of_loading(
    request_runtime: RequestRuntime,
) -> None:
    registries = CollectorRegistry(), CollectorRegistry()
    first = process(request_runtime, registry=registries[0])
    second = process(request_runtime, registry=registries[1])
    request_id = uuid.uuid4()
    release = asyncio.Event()

    async def slow() -> Fill[str]:
        await release.wait()
        return Fill("loaded", entry())

    async def never() -> Fill[str]:
        raise AssertionError("the second process must not load")

    leader = asyncio.create_task(first.load(request_id, slow))
    await asyncio.sleep(0.05)
    follower = asyncio.create_task(second.load(request_id, never))
    await asyncio.sleep(0.05)
    release.set()

    assert await leader == "loaded"
    assert await follower == entry()
    assert (loads(registries[0]), loads(registries[1])) == (1, 0)


async def test_a_follower_loads_itself_when_the_leader_stores_nothing(
    request_runtime: RequestRuntime,
) -> None:
    first, second = process(request_runtime), process(request_runtime, fill_wait=0.05)
    request_id = uuid.uuid4()
    release = asyncio.Event()

    async def unanswered() -> Fill[str]:
        await release.wait()
        return Fill("not answered")

    async def own() -> Fill[str]:
        return Fill("own load")

    leader = asyncio.create_task(first.load(request_id, unanswered))
    await asyncio.sleep(0.05)
    follower = await second.load(request_id, own)
    release.set()

    assert (await leader, follower) == ("not answered", "own load")
    assert await second.lookup(request_id) is None


async def test_waiters_load_again_when_the_loading_caller_is_cancelled(
    request_runtime: RequestRuntime,
) -> None:
    cache = process(request_runtime)
    request_id = uuid.uuid4()
    started = asyncio.Event()

    async def hangs() -> Fill[str]:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def quick() -> Fill[str]:
        return Fill("second try", entry())

    leader = asyncio.create_task(cache.load(request_id, hangs))
    await started.wait()
    waiter = asyncio.create_task(cache.load(request_id, quick))
    await asyncio.sleep(0.01)
    leader.cancel()

    assert await waiter == "second try"
    assert leader.cancelled()
    assert await cache.lookup(request_id) == entry()


async def test_a_failed_load_fails_its_waiters_and_caches_nothing(
    request_runtime: RequestRuntime,
) -> None:
    cache = process(request_runtime)
    request_id = uuid.uuid4()
    release = asyncio.Event()

    async def broken() -> Fill[str]:
        await release.wait()
        raise RuntimeError("database down")

    async def unused() -> Fill[str]:
        raise AssertionError("the waiter shares the leader's load")

    leader = asyncio.create_task(cache.load(request_id, broken))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(cache.load(request_id, unused))
    await asyncio.sleep(0.01)
    release.set()

    for task in (leader, waiter):
        with pytest.raises(RuntimeError, match="database down"):
            await task
    assert await cache.lookup(request_id) is None
    assert await request_runtime.cache.peek(f"_fill:{answer_key(request_id)}") is None


async def test_an_entry_of_another_format_reads_as_a_miss(request_runtime: RequestRuntime) -> None:
    cache = process(request_runtime)
    request_id = uuid.uuid4()
    await request_runtime.cache.set(answer_key(request_id), b"\x09older format")

    assert await cache.lookup(request_id) is None
    assert CachedAnswer.decode(entry(7).encode()) == entry(7)


async def test_twenty_concurrent_misses_in_one_process_load_once(
    request_runtime: RequestRuntime,
) -> None:
    registry = CollectorRegistry()
    cache = process(request_runtime, registry=registry)
    request_id = uuid.uuid4()
    release = asyncio.Event()
    calls = 0

    async def gated() -> Fill[str]:
        nonlocal calls
        calls += 1
        await release.wait()
        return Fill("loaded", entry())

    readers = [asyncio.create_task(cache.load(request_id, gated)) for _ in range(20)]
    await asyncio.sleep(0.05)
    release.set()

    assert await asyncio.gather(*readers) == ["loaded"] * 20
    assert (calls, loads(registry)) == (1, 1)
