"""Deadlines run on the database's clock, so workers whose machine clocks disagree agree on them.

Each test sets this process's clock away from PostgreSQL's, as on a machine whose clock is wrong,
and measures it again as a worker's liveness round does (that round's own test is in
`realtime/tests/test_liveness_clock_postgres.py`). Before, every worker used its own clock:
one running fast refused answers in time, and one running slow took answers after the deadline.
"""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F

from assessments import clock
from assessments.models import Assessment
from assessments.services.answers import answer_submit
from assessments.tests.factories import attempt_started, question_served

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_now() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (now,) = cursor.fetchone()
    return now


def test_an_attempt_started_on_a_fast_machine_starts_and_ends_on_the_databases_time(machine_clock) -> None:
    machine_clock(timedelta(minutes=10))
    clock.clock_measure()

    conn, _ = attempt_started(time_limit_minutes=5)

    attempt = Assessment.objects.get(candidate=conn.user)
    assert abs(attempt.started_at - database_now()) < timedelta(seconds=5)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=5)


def test_a_worker_whose_clock_runs_fast_still_takes_an_answer_in_time(machine_clock) -> None:
    conn, outcome = attempt_started(time_limit_minutes=5)
    machine_clock(timedelta(minutes=10))  # another worker, ten minutes fast, on a five-minute test
    clock.clock_measure()

    reply = answer_submit(conn=conn, question_id=question_served(outcome)["question_id"], selected_option=0)

    assert [m["type"] for m in reply.messages][:2] == ["answer_feedback", "progress_update"]
    assert Assessment.objects.get(candidate=conn.user).status == Assessment.Status.IN_PROGRESS


def test_a_worker_whose_clock_runs_slow_refuses_an_answer_after_the_deadline(machine_clock) -> None:
    conn, outcome = attempt_started(time_limit_minutes=5)
    # The deadline passed a minute ago, by the database's clock.
    Assessment.objects.filter(candidate=conn.user).update(deadline_at=F("deadline_at") - timedelta(minutes=6))
    machine_clock(-timedelta(minutes=10))
    clock.clock_measure()

    reply = answer_submit(conn=conn, question_id=question_served(outcome)["question_id"], selected_option=0)

    assert reply.messages[0]["data"]["code"] == "assessment_expired"
    assert Assessment.objects.get(candidate=conn.user).status == Assessment.Status.TIMED_OUT
