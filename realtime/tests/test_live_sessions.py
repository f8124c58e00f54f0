"""The single-session rule across two daphne workers: the newest connection wins wherever it lands,
and a connection that missed its kick still cannot write. Also: tokens never reach the logs."""

import asyncio
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from rest_framework_simplejwt.tokens import RefreshToken

from assessments.messages import ErrorCode
from assessments.models import Assessment, AssessmentEvent, CandidateSession, Response, Test
from assessments.selectors.sessions import live_connection_counts
from assessments.services.sessions import connection_id_for, session_claim
from assessments.tests.factories import enrolled_candidate
from realtime.protocol import CloseCode
from testsupport.live import Cluster, LiveSocket, Worker, live_cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async
RACE_ROUNDS = 5


def session_of(*, candidate: Any, test: Test) -> CandidateSession:
    return CandidateSession.objects.get(key=connection_id_for(user_id=candidate.pk, test_id=test.pk))


def attempts_of(*, candidate: Any, test: Test) -> list[Assessment]:
    return list(Assessment.objects.filter(candidate=candidate, test=test))


def session_epoch_bump_unannounced(*, candidate: Any, test: Test) -> int:
    """What a newer claim writes (`session_claim`), without publishing its kick: a lost kick."""
    with transaction.atomic():
        session = CandidateSession.objects.select_for_update().get(
            key=connection_id_for(user_id=candidate.pk, test_id=test.pk)
        )
        session.epoch += 1
        session.save(update_fields=["epoch"])
        Assessment.objects.filter(candidate=candidate, test=test, status=Assessment.Status.IN_PROGRESS).update(
            session_epoch=session.epoch
        )
    return session.epoch


async def expect_kicked(live: LiveSocket) -> None:
    await live.expect("session_replaced")
    await live.expect_error(ErrorCode.SESSION_REPLACED)
    await live.expect_close(CloseCode.SESSION_REPLACED)


async def started_attempt(cluster: Cluster, worker: Worker, test: Test, token: str) -> tuple[LiveSocket, dict, dict]:
    """A socket on `worker` that authenticated and started: (socket, assessment_started, first question)."""
    live = await cluster.connect(worker, attempt_path(test))
    hello = await live.auth(token)
    assert hello["data"]["recovered"] is False
    assert hello["data"]["assessment"] is None
    await live.send("start_assessment", id="start")
    started, question = await live.expect("assessment_started", "question")
    return live, started, question


async def test_a_second_connection_on_another_worker_kicks_the_first_and_continues_the_same_attempt(
    cluster: Cluster,
) -> None:
    test, candidate = await db(candidate_with_test)()
    token = token_for(candidate)
    first, started, question = await started_attempt(cluster, cluster.w1, test, token)
    on_screen = question["data"]["question_id"]

    second = await cluster.connect(cluster.w2, attempt_path(test))
    hello = await second.auth(token)

    await expect_kicked(first)
    assert hello["data"]["recovered"] is True
    snapshot = hello["data"]["assessment"]
    assert snapshot["assessment_id"] == started["data"]["assessment_id"]
    assert snapshot["status"] == "in_progress"
    assert snapshot["current_question"]["question_id"] == on_screen
    assert snapshot["last_seq"] == question["seq"]
    session = await db(session_of)(candidate=candidate, test=test)
    assert session.epoch == 2
    assert session.worker.endswith(f":{cluster.w2.pid}"), session.worker

    feedback, progress, following = await second.answer(on_screen, 0, id="answer-1")
    assert feedback["data"]["question_id"] == on_screen
    assert progress["data"]["answered"] == 1
    assert [feedback["seq"], progress["seq"], following["seq"]] == [question["seq"] + i for i in (1, 2, 3)]
    await second.nothing()
    (attempt,) = await db(attempts_of)(candidate=candidate, test=test)
    assert attempt.pk == started["data"]["assessment_id"]
    assert attempt.session_epoch == 2
    assert cluster.tracebacks() == []


async def test_simultaneous_connections_on_both_workers_leave_exactly_one_open(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)(questions=RACE_ROUNDS + 2, total_questions=RACE_ROUNDS + 2)
    token = token_for(candidate)
    opener, _, _ = await started_attempt(cluster, cluster.w1, test, token)
    await opener.close()

    async def open_on(worker: Worker) -> tuple[LiveSocket, dict]:
        live = await cluster.connect(worker, attempt_path(test))
        return live, await live.auth(token)

    for answered in range(1, RACE_ROUNDS + 1):
        (one, hello_one), (two, hello_two) = await asyncio.gather(open_on(cluster.w1), open_on(cluster.w2))
        session = await db(session_of)(candidate=candidate, test=test)
        assert session.epoch == 1 + 2 * answered
        winner_is_one = session.worker.endswith(f":{cluster.w1.pid}")
        winner, hello, loser = (one, hello_one, two) if winner_is_one else (two, hello_two, one)
        assert session.worker.endswith(f":{winner.worker.pid}"), session.worker

        await expect_kicked(loser)
        await winner.nothing()
        current = hello["data"]["assessment"]["current_question"]["question_id"]
        _, progress, _ = await winner.answer(current, 0, id=f"round-{answered}")
        assert progress["data"]["answered"] == answered
        await winner.close()

    (attempt,) = await db(attempts_of)(candidate=candidate, test=test)
    assert attempt.status == Assessment.Status.IN_PROGRESS
    assert await db(Response.objects.filter(assessment=attempt, answered_at__isnull=False).count)() == RACE_ROUNDS
    assert cluster.tracebacks() == []


@pytest.mark.parametrize(
    ("message_type", "data"),
    [("submit_answer", None), ("complete_assessment", {})],
    ids=["submit_answer", "complete_assessment"],
)
async def test_a_connection_that_missed_its_kick_cannot_write(
    cluster: Cluster, message_type: str, data: dict | None
) -> None:
    test, candidate = await db(candidate_with_test)()
    stale, started, question = await started_attempt(cluster, cluster.w1, test, token_for(candidate))
    assessment_id = started["data"]["assessment_id"]
    question_id = question["data"]["question_id"]

    epoch = await db(session_epoch_bump_unannounced)(candidate=candidate, test=test)
    assert epoch == 2
    await stale.nothing()  # nobody told worker 1
    payload = data if data is not None else {"question_id": question_id, "selected_option": 0}
    await stale.send(message_type, payload, id="late")

    await expect_kicked(stale)
    response = await db(Response.objects.get)(assessment_id=assessment_id, question_id=question_id)
    assert response.answered_at is None
    assert response.selected_option is None
    assert response.client_msg_id is None
    attempt = await db(Assessment.objects.get)(pk=assessment_id)
    assert attempt.status == Assessment.Status.IN_PROGRESS
    assert attempt.score == 0
    assert attempt.last_seq == question["seq"]
    assert not await db(AssessmentEvent.objects.filter(assessment_id=assessment_id, ref="late").exists)()
    assert cluster.tracebacks() == []


async def test_a_claim_made_by_another_process_kicks_the_connection_on_a_worker(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)()
    live, _, _ = await started_attempt(cluster, cluster.w1, test, token_for(candidate))

    claim = await db(session_claim)(user=candidate, test_id=test.pk, channel_name="elsewhere", worker="test-process")

    assert claim.epoch == 2
    await expect_kicked(live)


async def test_tokens_never_reach_the_worker_logs(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)()
    in_query = token_for(candidate)
    in_message = token_for(candidate, lifetime=timedelta(minutes=10))
    expired = token_for(candidate, lifetime=-timedelta(minutes=5))
    refresh = str(await db(RefreshToken.for_user)(candidate))
    garbage = "not-a-jwt-" + secrets.token_hex(16)
    assert in_query != in_message

    live = await cluster.connect(cluster.w1, attempt_path(test), token=in_query)
    (hello,) = await live.expect("auth_success")
    assert hello["data"]["user_id"] == candidate.pk
    await live.send("start_assessment")
    _, question = await live.expect("assessment_started", "question")
    await live.answer(question["data"]["question_id"], 0)
    await live.send("heartbeat")
    await live.expect("pong")
    await live.close()

    other = await cluster.connect(cluster.w2, attempt_path(test))
    await other.auth(in_message)
    await other.close()
    for token, code in (
        (expired, ErrorCode.TOKEN_EXPIRED),
        (refresh, ErrorCode.AUTH_FAILED),
        (garbage, ErrorCode.AUTH_FAILED),
    ):
        for worker in cluster.workers:
            refused = await cluster.connect(worker, attempt_path(test), token=token)
            await refused.expect_error(code)
            await refused.expect_close(CloseCode.AUTH_FAILED)
        refused = await cluster.connect(cluster.w2, attempt_path(test))
        await refused.send("auth", {"token": token})
        await refused.expect_error(code)
        await refused.expect_close(CloseCode.AUTH_FAILED)

    await cluster.stop()  # every line is written
    logs = cluster.logs()
    assert f"/ws/assessment/{test.pk}/" in logs, "the workers' access log was not captured"
    for token in (in_query, in_message, expired, refresh, garbage):
        signature = token.rsplit(".", 1)[-1]
        assert token not in logs
        assert signature not in logs
    assert "token=" not in logs


async def test_a_quiet_connection_stays_open_and_still_hears_the_channel_layer(cluster: Cluster) -> None:
    """redis-py times reads out after 5 s by default while channels_redis blocks 5 s waiting for
    messages: without a longer socket timeout a consumer with nothing to hear crashed at ~5 s."""
    test, candidate = await db(candidate_with_test)()
    live, _, _ = await started_attempt(cluster, cluster.w1, test, token_for(candidate))
    await asyncio.sleep(7)  # being idle for longer than the old timeout is the scenario itself
    await live.send("heartbeat")
    await live.expect("pong")
    await db(session_claim)(user=candidate, test_id=test.pk, channel_name="elsewhere", worker="test-process")
    await expect_kicked(live)
    assert "Timeout reading" not in cluster.w1.logs()


async def test_the_connections_of_a_killed_worker_stop_counting_once_stale(
    transactional_db: None, tmp_path: Path, settings
) -> None:
    """Two workers touching every 0.3 s, stale after 1.5 s: w2 is SIGKILLed with a candidate on it."""
    quick = {"JATAYU_SESSION_TOUCH_SECONDS": "0.3", "JATAYU_SESSION_STALE_SECONDS": "1.5"}
    settings.JATAYU_SESSION_TOUCH_SECONDS, settings.JATAYU_SESSION_STALE_SECONDS = 0.3, 1.5
    async with live_cluster(tmp_path, env_overrides=quick) as cluster:
        test, staying = await db(candidate_with_test)()
        leaving = await db(enrolled_candidate)(test=test)
        on_w1 = await cluster.connect(cluster.w1, attempt_path(test))
        await on_w1.auth(token_for(staying))
        on_w2 = await cluster.connect(cluster.w2, attempt_path(test))
        await on_w2.auth(token_for(leaving))
        assert (await db(live_connection_counts)()).total == 2

        w2_pid = cluster.w2.pid
        await cluster.w2.kill()
        await on_w2.expect_dropped()
        await asyncio.sleep(3)  # two stale periods: w1 kept touching its own, nobody touched w2's

        counts = await db(live_connection_counts)()
        assert (counts.total, counts.stale) == (1, 1)
        ((dead_worker, _),) = counts.stale_per_worker
        assert dead_worker.endswith(f":{w2_pid}")
        shown = json.loads((await cluster.manage("connections", "--json")).stdout)
        assert (shown["total"], shown["stale"]) == (1, 1)
