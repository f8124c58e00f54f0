"""Disconnect credit across two daphne workers (issue 15): the time a candidate had no connection is
measured from the session records every worker shares, so the worker the candidate comes back to
gives it back, whether the first connection was dropped or its worker was killed (SIGKILL). Sessions
are touched every 0.3 s and stale after 1.5 s here, so a dead worker's session goes stale quickly."""

import asyncio
import math
import time
from datetime import datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async

from assessments.models import Assessment, CandidateSession, Test
from assessments.services.sessions import connection_id_for
from testsupport.live import RECEIVE_TIMEOUT, Cluster, LiveSocket, Worker
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

QUICK = {"JATAYU_SESSION_TOUCH_SECONDS": "0.3", "JATAYU_SESSION_STALE_SECONDS": "1.5"}
pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True), pytest.mark.cluster(env=QUICK)]
db = database_sync_to_async
OFFLINE_SECONDS = 3  # how long the candidate stays away: the scenario itself


def session_of(*, candidate: Any, test: Test) -> CandidateSession:
    return CandidateSession.objects.get(key=connection_id_for(user_id=candidate.pk, test_id=test.pk))


async def started_attempt(cluster: Cluster, worker: Worker, test: Test, token: str) -> tuple[LiveSocket, dict]:
    live = await cluster.connect(worker, attempt_path(test))
    await live.auth(token)
    await live.send("start_assessment", id="start")
    started, _question = await live.expect("assessment_started", "question")
    return live, started


async def released(*, candidate: Any, test: Test) -> datetime:
    """When the worker released the dropped connection's session (it notices the drop at once)."""
    give_up = time.monotonic() + RECEIVE_TIMEOUT
    while (at := (await db(session_of)(candidate=candidate, test=test)).disconnected_at) is None:
        assert time.monotonic() < give_up, "the worker never released the dropped connection's session"
        await asyncio.sleep(0.05)
    return at


async def comes_back(cluster: Cluster, test: Test, token: str, epoch: int) -> tuple[LiveSocket, dict, dict]:
    """The page reconnects by itself, to the other worker: its auth_success and the time_extended after it."""
    live = await cluster.connect(cluster.w2, attempt_path(test))
    await live.send("auth", {"token": token, "epoch": epoch})
    hello, extended = await live.expect("auth_success", "time_extended")
    return live, hello, extended


def seconds_since(moment: datetime, extended: dict) -> int:
    return math.floor((datetime.fromisoformat(extended["data"]["server_time"]) - moment).total_seconds())


async def test_a_candidate_dropped_on_one_worker_is_given_the_time_back_by_the_other(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)(disconnect_policy="credit")
    token = token_for(candidate)
    first, started = await started_attempt(cluster, cluster.w1, test, token)
    deadline = datetime.fromisoformat(started["data"]["deadline"])

    first.ws.transport.abort()  # the network drops: no close frame
    gone_at = time.monotonic()
    released_at = await released(candidate=candidate, test=test)
    await asyncio.sleep(OFFLINE_SECONDS)
    second, hello, extended = await comes_back(cluster, test, token, epoch=1)
    away = time.monotonic() - gone_at

    data = extended["data"]
    assert data["seconds"] == seconds_since(released_at, extended)  # measured from the shared session record
    assert OFFLINE_SECONDS <= data["seconds"] <= math.ceil(away)
    assert (data["total_credited_seconds"], data["reason"]) == (data["seconds"], "disconnected")
    assert datetime.fromisoformat(data["deadline"]) == datetime.fromisoformat(hello["data"]["assessment"]["deadline"])
    attempt = await db(Assessment.objects.get)(pk=started["data"]["assessment_id"])
    assert (attempt.deadline_at - deadline).total_seconds() == data["seconds"]
    session = await db(session_of)(candidate=candidate, test=test)
    assert session.worker.endswith(f":{cluster.w2.pid}"), session.worker
    await second.send("heartbeat", {"rtt_ms": 3})
    await second.expect("pong")
    await second.nothing()
    assert cluster.tracebacks() == []


async def test_after_its_worker_is_killed_the_credit_counts_from_when_the_session_was_last_seen(
    cluster: Cluster,
) -> None:
    test, candidate = await db(candidate_with_test)(disconnect_policy="credit")
    token = token_for(candidate)
    first, started = await started_attempt(cluster, cluster.w1, test, token)
    deadline = datetime.fromisoformat(started["data"]["deadline"])

    await cluster.w1.kill()  # SIGKILL: the session is never released
    await first.expect_dropped()
    await asyncio.sleep(OFFLINE_SECONDS)  # past the 1.5 s after which nobody's touches make it stale
    session = await db(session_of)(candidate=candidate, test=test)
    assert session.disconnected_at is None
    second, _hello, extended = await comes_back(cluster, test, token, epoch=1)

    data = extended["data"]
    assert data["seconds"] == seconds_since(session.last_seen_at, extended)
    assert OFFLINE_SECONDS <= data["seconds"] <= OFFLINE_SECONDS + 2  # last seen at most one touch before the kill
    attempt = await db(Assessment.objects.get)(pk=started["data"]["assessment_id"])
    assert (attempt.deadline_at - deadline).total_seconds() == data["seconds"]
    assert attempt.disconnect_credit_seconds == data["seconds"]
    await second.nothing()
