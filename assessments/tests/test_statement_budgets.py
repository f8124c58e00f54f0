"""The hot paths' statement budgets, pinned: adding a statement to any of them fails here.

Counted in a real transaction (no test savepoints), with the test's bank already cached in this
process, as it is for every request but the first after an edit. BEGIN and COMMIT are not counted.
"""

from typing import Any

import pytest

from assessments.models import Assessment, Question, Response, Test
from assessments.selectors.bank import bank_for
from assessments.services.answers import answer_submit
from assessments.services.attempts import Connection, assessment_start, question_current
from assessments.services.questions import questions_active_set
from assessments.tests.factories import (
    QuestionFactory,
    attempt_started,
    candidate_connect,
    enrolled_candidate,
    published_test_with_bank,
    question_served,
    served_key,
)
from testsupport.queries import statements

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER_BUDGET = 5
START_BUDGET = 6


def answer_key(conn: Connection, question: dict[str, Any]) -> int:
    response = Response.objects.select_related("question").get(
        assessment__candidate=conn.user, question_id=question["question_id"]
    )
    return served_key(response)


def test_an_answer_in_the_middle_of_an_attempt_is_five_statements() -> None:
    conn, outcome = attempt_started()
    question = question_served(outcome)

    reply, sql = statements(
        lambda: answer_submit(conn=conn, question_id=question["question_id"], selected_option=0, ref="a1")
    )

    assert [m["type"] for m in reply.messages] == ["answer_feedback", "progress_update", "question"]
    assert len(sql) == ANSWER_BUDGET, sql
    assert sql[0].startswith('SELECT "assessments_assessment"')  # the attempt's row, locked, comes first


def test_an_answer_to_a_question_with_several_correct_options_is_five_statements_too() -> None:
    test = published_test_with_bank(questions=4, total_questions=3, multi_select_scoring="partial")
    Question.objects.filter(test=test).update(kind=Question.Kind.MULTIPLE, correct_options=[0, 1])
    conn = candidate_connect(user=enrolled_candidate(test=test), test=test)
    question = question_served(assessment_start(conn=conn))
    assert question["kind"] == "multiple"

    reply, sql = statements(
        lambda: answer_submit(conn=conn, question_id=question["question_id"], selected_options=[0, 2], ref="a1")
    )

    assert [m["type"] for m in reply.messages] == ["answer_feedback", "progress_update", "question"]
    assert len(sql) == ANSWER_BUDGET, sql


def test_the_last_answer_which_scores_the_attempt_is_four_statements() -> None:
    conn, outcome = attempt_started(questions=4, total=2)
    outcome = answer_submit(conn=conn, question_id=question_served(outcome)["question_id"], selected_option=0)
    last = question_served(outcome)

    key = answer_key(conn, last)

    reply, sql = statements(lambda: answer_submit(conn=conn, question_id=last["question_id"], selected_option=key))

    assert [m["type"] for m in reply.messages] == ["answer_feedback", "progress_update", "assessment_completed"]
    assert len(sql) == ANSWER_BUDGET - 1, sql  # no next question to create
    attempt = Assessment.objects.get(candidate=conn.user)
    assert (attempt.status, attempt.score, attempt.max_score) == (
        "completed",
        Response.objects.filter(assessment=attempt, is_correct=True).count(),
        2,
    )


def test_a_repeated_answer_is_replayed_in_two_statements() -> None:
    conn, outcome = attempt_started()
    question = question_served(outcome)
    first = answer_submit(conn=conn, question_id=question["question_id"], selected_option=1, ref="same")

    again, sql = statements(
        lambda: answer_submit(conn=conn, question_id=question["question_id"], selected_option=1, ref="same")
    )

    assert again.messages == first.messages
    assert len(sql) == 2, sql


def test_starting_an_attempt_is_six_statements() -> None:
    test = published_test_with_bank(questions=6, total_questions=3)
    user = enrolled_candidate(test=test)
    conn = candidate_connect(user=user, test=test)
    bank_for(test=Test.objects.get(pk=test.pk))  # cached, as after the test's first start in this process

    outcome, sql = statements(lambda: assessment_start(conn=conn, ref="start"))

    assert [m["type"] for m in outcome.messages] == ["assessment_started", "question"]
    assert len(sql) == START_BUDGET, "\n".join(sql)


def test_the_question_on_screen_again_is_one_statement() -> None:
    conn, outcome = attempt_started()

    again, sql = statements(lambda: question_current(conn=conn))

    shown, asked = question_served(again), question_served(outcome)
    assert shown.pop("time_remaining_seconds") <= asked.pop("time_remaining_seconds")
    assert shown == asked
    assert len(sql) == 1, sql


def test_a_bank_change_is_seen_by_the_next_pick_in_every_process() -> None:
    """The cache is keyed by the test's bank_version, read with the attempt's row: never stale."""
    conn, outcome = attempt_started(questions=3, total=3)
    first = question_served(outcome)
    outcome = answer_submit(conn=conn, question_id=first["question_id"], selected_option=0)
    second = question_served(outcome)
    test = Assessment.objects.get(candidate=conn.user).test
    unasked = Question.objects.filter(test=test).exclude(pk__in=[first["question_id"], second["question_id"]])
    assert questions_active_set(questions=unasked, active=False) == 1  # a bulk update
    added = QuestionFactory(test=test, skill=test.skills.first(), prompt="Added while the attempt ran")

    outcome, sql = statements(lambda: answer_submit(conn=conn, question_id=second["question_id"], selected_option=0))

    assert question_served(outcome)["question_id"] == added.pk
    assert len(sql) > ANSWER_BUDGET  # this one answer paid for reloading the bank


def test_saving_a_test_read_before_a_bank_change_keeps_the_newer_bank_version() -> None:
    """An admin form saves the whole row; written back, an old bank_version would hide the change."""
    test = published_test_with_bank(questions=2)
    read_earlier = Test.objects.get(pk=test.pk)
    QuestionFactory(test=test, skill=test.skills.first(), prompt="Added meanwhile")
    bumped = Test.objects.get(pk=test.pk).bank_version
    assert bumped > read_earlier.bank_version

    read_earlier.title = "Renamed"
    read_earlier.save()

    saved = Test.objects.get(pk=test.pk)
    assert (saved.title, saved.bank_version) == ("Renamed", bumped)


def test_a_question_moved_to_another_test_leaves_the_old_tests_bank_and_an_asked_one_cannot_move() -> None:
    from django.core.exceptions import ValidationError

    conn, outcome = attempt_started(questions=3, total=2)
    old = Assessment.objects.get(candidate=conn.user).test
    asked = Question.objects.get(pk=question_served(outcome)["question_id"])
    other = published_test_with_bank(questions=1)
    other_skill = other.skills.order_by("pk")[0]
    unasked = Question.objects.filter(test=old).exclude(pk=asked.pk).first()
    assert unasked is not None
    before = Test.objects.get(pk=old.pk).bank_version

    unasked.test, unasked.skill = other, other_skill
    unasked.full_clean()
    unasked.save()

    assert Test.objects.get(pk=old.pk).bank_version > before
    assert unasked.pk not in bank_for(test=Test.objects.get(pk=old.pk)).items
    asked.test, asked.skill = other, other_skill
    with pytest.raises(ValidationError, match="cannot move"):
        asked.full_clean()


def test_an_answer_that_finds_its_bank_older_than_the_refresh_pays_five_statements_more(settings) -> None:
    """Once per JATAYU_BANK_REFRESH_SECONDS per test and process: the questions, skills, voids and the
    two exposure counts, read again for calibration and exposure control."""
    conn, outcome = attempt_started(questions=4, total=3)
    settings.JATAYU_BANK_REFRESH_SECONDS = 0

    _, sql = statements(
        lambda: answer_submit(conn=conn, question_id=question_served(outcome)["question_id"], selected_option=0)
    )

    assert len(sql) == ANSWER_BUDGET + 5, "\n".join(sql)
