"""What two live workers hold stays bounded however many sockets and requests come and go: after
1,000 connect/disconnect cycles past a warm-up of 4,000 (a third of each cut without a close frame)
and after 1,000 HTTP requests, each worker holds no more PostgreSQL connections than its pool, the
Redis keys are back to what they were, every session is released, and the workers' memory has not
grown with the cycles."""

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from django.db import connection

from assessments.models import CandidateSession
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from testsupport.live import Cluster, Worker
from testsupport.live_data import attempt_path
from testsupport.tokens import token_for

POOL = 4
pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.cluster(env={"JATAYU_DB_POOL_SIZE": str(POOL), "JATAYU_DB_THREADS": "2", "LOG_LEVEL": "INFO"}),
]
db = database_sync_to_async

CANDIDATES = 25
# The first few thousand cycles grow a worker's RSS (about 15 MB: the allocator's arenas filling, not
# Python objects, which tracemalloc shows flat); after them 1,000 cycles add at most about 1.5 MB. A
# connection's state leaked whole (40 KB or more) would add 20 MB.
WARM_UP, CYCLES, AT_ONCE = 4_000, 1_000, 10
REQUESTS = 1_000
RSS_GROWTH_KB = 4_096  # per worker over the 1,000 cycles after the warm-up
SETTLE_SECONDS = 10.0


def pg_connections(worker: Worker) -> int:
    """TCP connections the worker's process holds to PostgreSQL, read from /proc."""
    port = int(connection.settings_dict.get("PORT") or 5432)
    inodes = set()
    for fd in Path(f"/proc/{worker.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # the worker closed this descriptor while we listed them
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{worker.pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            remote_port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
            held += remote_port == port and state == "01" and inode in inodes  # 01: ESTABLISHED
    return held


def rss_kb(worker: Worker) -> int:
    for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {worker.name}")


async def redis_keys() -> int:
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        return int(await client.dbsize())
    finally:
        await client.aclose()


def candidates() -> tuple[Any, list[Any]]:
    test = published_test_with_bank(questions=6, total_questions=3)
    return test, [enrolled_candidate(test=test) for _ in range(CANDIDATES)]


def sessions_held() -> int:
    return CandidateSession.objects.filter(disconnected_at__isnull=True).count()


async def cycle(cluster: Cluster, worker: Worker, path: str, token: str, *, cut: bool) -> None:
    """Connect, authenticate, and leave: with a close frame, or by cutting the TCP connection."""
    live = await cluster.connect(worker, path, token=token)
    await live.expect("auth_success")
    if cut:
        live.ws.transport.abort()
    else:
        await live.close()
    cluster.sockets.remove(live)


async def cycles(cluster: Cluster, path: str, tokens: list[str], count: int, start: int) -> None:
    plan = list(itertools.islice(enumerate(itertools.cycle(tokens)), start, start + count))
    for at in range(0, len(plan), AT_ONCE):
        # One socket per candidate at a time (a batch holds different candidates), alternating workers.
        await asyncio.gather(
            *(
                cycle(cluster, cluster.workers[n % 2], path, token, cut=n % 3 == 0)
                for n, token in plan[at : at + AT_ONCE]
            )
        )


async def settled(predicate: Any) -> bool:
    for _ in range(int(SETTLE_SECONDS / 0.2)):
        if await predicate():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_connect_and_disconnect_cycles_leave_nothing_behind(cluster: Cluster) -> None:
    test, users = await db(candidates)()
    path, tokens = attempt_path(test), [token_for(user) for user in users]
    await cycles(cluster, path, tokens, WARM_UP, 0)
    assert await settled(_none_held)
    keys_before = await redis_keys()
    rss_before = [rss_kb(worker) for worker in cluster.workers]

    await cycles(cluster, path, tokens, CYCLES, WARM_UP)

    assert await settled(_none_held), f"{await db(sessions_held)()} sessions still held after the cycles"
    assert await settled(lambda: _keys_back(keys_before)), f"Redis keys {keys_before} -> {await redis_keys()}"
    held = [pg_connections(worker) for worker in cluster.workers]
    assert 0 < max(held) <= POOL, f"PostgreSQL connections per worker: {held} (pool of {POOL})"
    growth = [rss_kb(worker) - before for worker, before in zip(cluster.workers, rss_before, strict=True)]
    print(f"worker memory growth over {CYCLES} cycles: {growth} KB")
    assert max(growth) <= RSS_GROWTH_KB, growth
    assert cluster.tracebacks() == []


async def _none_held() -> bool:
    return await db(sessions_held)() == 0


async def _keys_back(before: int) -> bool:
    return await redis_keys() <= before


async def test_a_thousand_http_requests_hold_no_more_backends_than_the_pools(cluster: Cluster) -> None:
    _test, users = await db(candidates)()
    bearer = {"Authorization": f"Bearer {token_for(users[0])}"}
    asks = itertools.cycle([("/api/health/", {}, 200), ("/api/me/", bearer, 200), ("/api/nowhere/", {}, 404)])
    async with httpx.AsyncClient(timeout=10) as client:
        for at in range(0, REQUESTS, 50):
            batch = [next(asks) for _ in range(50)]
            replies = await asyncio.gather(
                *(
                    client.get(cluster.workers[(at + n) % 2].http_url(url), headers=headers)
                    for n, (url, headers, _) in enumerate(batch)
                )
            )
            assert [r.status_code for r in replies] == [status for _, _, status in batch]

    held = [pg_connections(worker) for worker in cluster.workers]
    assert 0 < max(held) <= POOL, f"PostgreSQL connections per worker: {held} (pool of {POOL})"
    assert cluster.tracebacks() == []
