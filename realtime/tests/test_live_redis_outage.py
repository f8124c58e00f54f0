"""A Redis outage under two live daphne workers, on a Redis of the test's own (`faults.OwnRedis`):
a connected candidate keeps answering and nothing acknowledged is lost; a new connection while Redis
is down is refused with 1013 within 5 s (never 1011, never left hanging); once Redis is back, new
connections are served, and a takeover on the other worker closes the old socket with 4008 (by the
kick-out, or by the next touch round when the kick-out was missed)."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

from assessments.models import Response
from testsupport.faults import OwnRedis
from testsupport.live import Cluster, LiveSocket, live_cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = pytest.mark.live

REFUSED_WITHIN = 5.0
TOUCH_SECONDS = 1.0


@pytest.fixture
async def outage(transactional_db: None, tmp_path: Path) -> AsyncIterator[tuple[Cluster, OwnRedis]]:
    redis = OwnRedis()
    redis.start()
    try:
        async with live_cluster(
            tmp_path,
            env_overrides={
                "REDIS_URL": redis.url,
                "JATAYU_SESSION_TOUCH_SECONDS": str(TOUCH_SECONDS),
                "JATAYU_SESSION_STALE_SECONDS": str(3 * TOUCH_SECONDS),
            },
        ) as cluster:
            yield cluster, redis
    finally:
        redis.stop()


async def _started(cluster: Cluster, path: str, token: str) -> tuple[LiveSocket, int]:
    live = await cluster.connect(cluster.w1, path)
    await live.auth(token)
    await live.send("start_assessment", id="start")
    _started, question = await live.expect("assessment_started", "question")
    return live, question["data"]["question_id"]


async def _connect_while_down(cluster: Cluster, path: str, token: str) -> float:
    """Open a socket on w2 and authenticate; the seconds until it was refused with 1013."""
    began = time.monotonic()
    live = await cluster.connect(cluster.w2, path)
    await live.send("auth", {"token": token}, id="auth")
    error = await live.recv(within=REFUSED_WITHIN + 1)
    assert error["type"] == "error", f"served while Redis was down: {error}"
    assert error["data"]["code"] == "internal_error"
    with pytest.raises(ConnectionClosed) as closed:
        await live.recv(within=1)
    assert closed.value.rcvd is not None, f"dropped without a close frame: {closed.value!r}"
    assert closed.value.rcvd.code == 1013, f"closed {closed.value.rcvd.code}"
    return time.monotonic() - began


def _answered(user_id: int) -> list[int]:
    return sorted(
        Response.objects.filter(assessment__candidate_id=user_id, answered_at__isnull=False).values_list(
            "question_id", flat=True
        )
    )


async def test_redis_killed_mid_attempt_loses_nothing_refuses_new_sockets_1013_and_recovers(
    outage: tuple[Cluster, OwnRedis],
) -> None:
    cluster, redis = outage
    test, user = await database_sync_to_async(candidate_with_test)(questions=8, total_questions=6)
    _other_test, other = await database_sync_to_async(candidate_with_test)()
    path = attempt_path(test)
    live, question_id = await _started(cluster, path, token_for(user))
    acknowledged = []
    feedback, _progress, question = await live.answer(question_id, 0, id="before")
    acknowledged.append(feedback["data"]["question_id"])

    redis.stop()
    down_at = time.monotonic()
    for n in range(2):
        feedback, _progress, question = await live.answer(question["data"]["question_id"], 0, id=f"during{n}")
        assert feedback["ref"] == f"during{n}"
        acknowledged.append(feedback["data"]["question_id"])
    await live.send("heartbeat", id="beat")
    await live.expect("pong")
    refused_after = await _connect_while_down(cluster, attempt_path(_other_test), token_for(other))
    assert refused_after <= REFUSED_WITHIN

    await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - down_at)))  # down for 5 s in all
    redis.start()

    feedback, _progress, question = await live.answer(question["data"]["question_id"], 0, id="after")
    acknowledged.append(feedback["data"]["question_id"])
    assert await database_sync_to_async(_answered)(user.pk) == sorted(acknowledged)

    served = await cluster.connect(cluster.w2, attempt_path(_other_test))
    await served.auth(token_for(other))

    # A takeover on w2 right after Redis came back: its kick-out may reach w1 before or after w1's
    # connections have joined their groups again; if it is missed, the next touch round tells w1.
    takeover = await cluster.connect(cluster.w2, path)
    await takeover.auth(token_for(user))
    told = await live.recv(within=TOUCH_SECONDS + 5)
    assert told["type"] == "session_replaced", told
    await live.expect_error("session_replaced")
    await live.expect_close(4008)
    await takeover.send("heartbeat", id="beat")
    await takeover.expect("pong")

    assert " 1011" not in cluster.logs()
    assert "invalid close code" not in cluster.logs()
