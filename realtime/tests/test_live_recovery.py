"""Attempts that outlive their connection or their worker: crash recovery with replay, expiry by the
`expire_assessments` command in its own process, and a full attempt whose score the results API agrees with."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from assessments.models import Assessment, AssessmentEvent, Response, Test
from testsupport.live import RECEIVE_TIMEOUT, Cluster, LiveSocket, Worker
from testsupport.live_data import attempt_path, candidate_with_test, option_texts
from testsupport.tokens import token_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


async def started_attempt(cluster: Cluster, worker: Worker, test: Test, token: str) -> tuple[LiveSocket, dict, dict]:
    """A socket on `worker` that authenticated and started: (socket, assessment_started, first question)."""
    live = await cluster.connect(worker, attempt_path(test))
    await live.auth(token)
    await live.send("start_assessment", id="start")
    started, question = await live.expect("assessment_started", "question")
    return live, started, question


async def choice(question: dict[str, Any], *, correct: bool, by_text: bool) -> int | str:
    """The served option to submit, right or wrong, as its text or its served index."""
    right, wrong = await db(option_texts)(question_id=question["data"]["question_id"])
    text = right if correct else wrong[0]
    return text if by_text else question["data"]["options"].index(text)


def deadline_pass(*, assessment_id: int) -> None:
    """Move a running attempt's deadline into the past, as if the candidate had left it alone."""
    past = timezone.now() - timedelta(seconds=5)
    Assessment.objects.filter(pk=assessment_id).update(started_at=past - timedelta(minutes=1), deadline_at=past)


def attempt_events(*, assessment_id: int) -> list[AssessmentEvent]:
    return list(AssessmentEvent.objects.filter(assessment_id=assessment_id).order_by("seq"))


async def test_after_a_worker_is_killed_the_attempt_resumes_on_the_other_with_every_acknowledged_answer(
    cluster: Cluster,
) -> None:
    test, candidate = await db(candidate_with_test)(questions=6, total_questions=5)
    token = token_for(candidate)
    first, started, q1 = await started_attempt(cluster, cluster.w1, test, token)
    fb1, pr1, q2 = await first.answer(q1["data"]["question_id"], 0, id="answer-1")
    fb2, pr2, q3 = await first.answer(q2["data"]["question_id"], 1, id="answer-2")
    sent = [started, q1, fb1, pr1, q2, fb2, pr2, q3]
    on_screen = q3["data"]["question_id"]

    await cluster.w1.kill()
    await first.expect_dropped()

    second = await cluster.connect(cluster.w2, attempt_path(test))
    hello = await second.auth(token)
    assert hello["data"]["recovered"] is True
    snapshot = hello["data"]["assessment"]
    assert snapshot["assessment_id"] == started["data"]["assessment_id"]
    assert snapshot["answered"] == 2
    assert snapshot["current_question"]["question_id"] == on_screen
    assert snapshot["last_seq"] == q3["seq"] == len(sent)

    await second.send("resume", {"last_seq": 0})
    replayed = [await second.recv() for _ in range(snapshot["last_seq"])]
    await second.nothing()
    assert [m["seq"] for m in replayed] == list(range(1, len(sent) + 1))
    answered = [m["data"]["question_id"] for m in replayed if m["type"] == "answer_feedback"]
    assert answered == [q1["data"]["question_id"], q2["data"]["question_id"]]
    assert replayed == sent, "the replay is the log of exactly what was sent"

    await second.send("resume", {"last_seq": fb2["seq"] - 1})
    tail = [await second.recv() for _ in range(3)]
    assert tail == [fb2, pr2, q3]
    await second.nothing()

    await second.send("get_question", id="again")
    (again,) = await second.expect("question")
    assert again["data"]["question_id"] == on_screen
    assert again["ref"] == "again"
    assert "seq" not in again

    feedback, progress, _ = await second.answer(on_screen, 0, id="answer-3")
    assert feedback["seq"] == q3["seq"] + 1
    assert progress["data"]["answered"] == 3
    assert cluster.tracebacks() == []


async def test_an_attempt_left_past_its_deadline_is_timed_out_and_scored_by_expire_assessments(
    cluster: Cluster,
) -> None:
    test, candidate = await db(candidate_with_test)(questions=6, total_questions=5, time_limit_minutes=1)
    token = token_for(candidate)
    live, started, q1 = await started_attempt(cluster, cluster.w1, test, token)
    assessment_id = started["data"]["assessment_id"]
    _, _, q2 = await live.answer(q1["data"]["question_id"], await choice(q1, correct=True, by_text=True))
    _, _, q3 = await live.answer(q2["data"]["question_id"], await choice(q2, correct=False, by_text=True))
    await live.close()

    await db(deadline_pass)(assessment_id=assessment_id)
    result = await cluster.manage("expire_assessments")

    assert result.returncode == 0, result.stderr
    expired, calibrated = result.stdout.strip().splitlines()
    assert expired == f"expired 1 attempt(s): {assessment_id}"
    assert calibrated.startswith("calibrated the questions of ")  # the same pass calibrates what ended
    attempt = await db(Assessment.objects.get)(pk=assessment_id)
    assert attempt.calibrated_at is not None
    assert attempt.status == Assessment.Status.TIMED_OUT
    assert attempt.end_reason == "time_up"
    assert attempt.ended_at is not None
    assert (attempt.score, attempt.max_score) == (1, 5)
    assert attempt.percentage_score == 20.0
    assert attempt.passed is False
    unanswered = await db(Response.objects.get)(assessment_id=assessment_id, question_id=q3["data"]["question_id"])
    assert unanswered.answered_at is None

    events = await db(attempt_events)(assessment_id=assessment_id)
    assert [e.seq for e in events] == list(range(1, q3["seq"] + 2))
    completed = events[-1]
    assert completed.type == "assessment_completed"
    assert completed.payload["data"] == {
        "assessment_id": assessment_id,
        "status": "timed_out",
        "reason": "time_up",
        "score": 1,
        "max_score": 5,
        "percentage_score": 20.0,
        "passed": False,
        "pass_percentage": test.pass_percentage,
    }
    assert attempt.last_seq == completed.seq

    again = await cluster.manage("expire_assessments")
    assert again.stdout.strip().splitlines()[0] == "expired 0 attempt(s)"

    back = await cluster.connect(cluster.w2, attempt_path(test))
    hello = await back.auth(token)
    assert hello["data"]["recovered"] is False
    snapshot = hello["data"]["assessment"]
    assert snapshot["status"] == "timed_out"
    assert snapshot["current_question"] is None
    assert snapshot["result"]["score"] == 1
    assert snapshot["result"]["percentage_score"] == 20.0
    assert cluster.tracebacks() == []


async def test_expire_assessments_in_its_own_process_tells_the_connected_candidate(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)(questions=6, total_questions=5, time_limit_minutes=1)
    live, started, q1 = await started_attempt(cluster, cluster.w2, test, token_for(candidate))
    assessment_id = started["data"]["assessment_id"]
    _, _, q2 = await live.answer(q1["data"]["question_id"], await choice(q1, correct=True, by_text=False))

    await db(deadline_pass)(assessment_id=assessment_id)
    result = await cluster.manage("expire_assessments")

    assert result.returncode == 0, result.stderr
    (completed,) = await live.expect("assessment_completed")
    assert completed["seq"] == q2["seq"] + 1
    assert completed["data"]["status"] == "timed_out"
    assert completed["data"]["reason"] == "time_up"
    assert completed["data"]["score"] == 1
    assert completed["data"]["percentage_score"] == 20.0
    await live.send("submit_answer", {"question_id": q2["data"]["question_id"], "selected_option": 0}, id="too-late")
    await live.expect_error("assessment_finished")
    await live.nothing()
    response = await db(Response.objects.get)(assessment_id=assessment_id, question_id=q2["data"]["question_id"])
    assert response.answered_at is None
    assert cluster.tracebacks() == []


async def test_a_full_attempt_scores_what_the_answers_deserve_and_the_results_api_agrees(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)(questions=6, total_questions=4, pass_percentage=60.0)
    live, started, question = await started_attempt(cluster, cluster.w1, test, token_for(candidate))
    assessment_id = started["data"]["assessment_id"]
    assert started["data"]["total_questions"] == 4
    plan = [True, False, True, True]
    score = 0

    for number, correct in enumerate(plan, start=1):
        last = number == len(plan)
        selected = await choice(question, correct=correct, by_text=number % 2 == 0)
        feedback, progress, question = await live.answer(
            question["data"]["question_id"], selected, id=f"answer-{number}", last=last
        )
        score += correct
        assert feedback["data"]["correct"] is correct
        assert progress["data"]["answered"] == number
        assert progress["data"]["score"] == score

    completed = question["data"]
    assert completed["status"] == "completed"
    assert completed["reason"] == "all_answered"
    assert (completed["score"], completed["max_score"]) == (3, 4)
    assert completed["percentage_score"] == 75.0
    assert completed["passed"] is True
    attempt = await db(Assessment.objects.get)(pk=assessment_id)
    assert attempt.status == Assessment.Status.COMPLETED
    assert (attempt.score, attempt.percentage_score, attempt.passed) == (3, 75.0, True)

    recruiter = await db(lambda: test.created_by)()
    async with httpx.AsyncClient(trust_env=False, timeout=RECEIVE_TIMEOUT) as http:
        reply = await http.get(
            cluster.w2.http_url(f"/api/tests/{test.pk}/results/"),
            headers={"Authorization": f"Bearer {token_for(recruiter)}"},
        )
    assert reply.status_code == 200, reply.text[:500]
    (row,) = reply.json()["results"]
    assert row["id"] == assessment_id
    assert row["candidate"] == candidate.username
    assert row["status"] == "completed"
    assert (row["score"], row["max_score"]) == (3, 4)
    assert row["percentage_score"] == 75.0
    assert row["passed"] is True
    assert cluster.tracebacks() == []
