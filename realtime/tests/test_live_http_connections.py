"""HTTP requests borrow a pooled PostgreSQL connection and give it back: a worker never holds more than its
pool, however many requests it serves (each request used to keep its thread's connection open)."""

import asyncio

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from testsupport.live import Cluster

POOL = 4
pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.cluster(count=1, env={"JATAYU_DB_POOL_SIZE": str(POOL), "JATAYU_DB_THREADS": "2"}),
]


def backends() -> int:
    """Connections to the test database that did not come from this test process."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND client_port IS NOT NULL AND backend_type = 'client backend'"
        )
        (count,) = cursor.fetchone()
    return int(count)


async def test_many_requests_leave_no_more_connections_than_the_pool(cluster: Cluster) -> None:
    worker = cluster.w1
    before = await sync_to_async(backends)()
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(5):  # 150 requests, 30 at a time: each may run on a thread of its own
            replies = await asyncio.gather(*(client.get(worker.http_url("/api/health/")) for _ in range(30)))
            assert {r.status_code for r in replies} == {200}

    after = await sync_to_async(backends)()
    assert after - before <= POOL, f"{after - before} connections held after 150 requests (pool of {POOL})"
    assert cluster.tracebacks() == []
