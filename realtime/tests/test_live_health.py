"""The health check of a worker that holds sockets: its channel-layer round trip reads from the
same real channel as the worker's consumers, so it is answered at once, not after the consumers'
blocking read of Redis times out (which made load balancers see busy workers as unhealthy)."""

import httpx
import pytest
from channels.db import database_sync_to_async

from testsupport.live import Cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.live, pytest.mark.cluster(count=1)]
db = database_sync_to_async


async def test_a_worker_holding_sockets_answers_its_health_check(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)()
    live = await cluster.connect(cluster.w1, attempt_path(test), token=token_for(candidate))
    await live.expect("auth_success")

    async with httpx.AsyncClient(timeout=10) as client:
        replies = [await client.get(cluster.w1.http_url("/api/health/")) for _ in range(8)]

    assert [r.status_code for r in replies] == [200] * 8, [r.json() for r in replies]
    assert cluster.tracebacks() == []
