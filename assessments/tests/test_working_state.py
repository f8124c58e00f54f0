"""The attempt's working state (`Assessment.progress`) always agrees with its responses, and an attempt
without one (begun before it existed) is rebuilt from them and carries on where it stopped."""

from typing import Any

import pytest

from assessments.models import Assessment, Question, Response, Test
from assessments.services.answers import answer_submit
from assessments.services.attempts import assessment_start, connection_open
from assessments.services.progress import progress_of
from assessments.tests.factories import attempt_play, candidate_connect, enrolled_candidate, published_test_with_bank

pytestmark = pytest.mark.django_db


def _state_of(assessment: Assessment) -> list[tuple[int, int, int, list[int], bool, bool | None]]:
    progress = progress_of(assessment=Assessment.objects.get(pk=assessment.pk))
    return [(a.question_id, a.response_id, a.position, a.option_order, a.answered, a.correct) for a in progress.items]


def _rows_of(assessment: Assessment) -> list[tuple[int, int, int, list[int], bool, bool | None]]:
    return [
        (r.question_id, r.pk, r.position, r.option_order, r.answered_at is not None, r.is_correct)
        for r in Response.objects.filter(assessment=assessment).order_by("position")
    ]


def test_after_a_whole_attempt_the_state_matches_every_response() -> None:
    test = published_test_with_bank(questions=8, total_questions=6)
    user = enrolled_candidate(test=test)

    attempt = attempt_play(test=test, user=user, choose=lambda response, n: n % 4)

    assert _state_of(attempt) == _rows_of(attempt)
    assert attempt.score == sum(1 for *_, correct in _rows_of(attempt) if correct)


def _one_answered(*, questions: int, total: int, ref: str) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """A started attempt whose first question is answered: (test, user, that question, the one now on screen)."""
    test = published_test_with_bank(questions=questions, total_questions=total)
    user = enrolled_candidate(test=test)
    conn = candidate_connect(user=user, test=test)
    outcome = assessment_start(conn=conn)
    first = next(m for m in outcome.messages if m["type"] == "question")["data"]
    outcome = answer_submit(conn=conn, question_id=first["question_id"], selected_option=0, ref=ref)
    return test, user, first, next(m for m in outcome.messages if m["type"] == "question")["data"]


def test_an_attempt_without_a_state_is_rebuilt_and_resumes_exactly_where_it_stopped() -> None:
    test, user, first, on_screen = _one_answered(questions=8, total=4, ref="a1")
    Assessment.objects.filter(candidate=user).update(progress={})  # as an attempt from before the state

    opened = connection_open(user=user, test_id=test.pk, channel_name="again", worker="w")
    snapshot = opened.auth_success["data"]["assessment"]
    assert snapshot["answered"] == 1
    assert snapshot["current_question"]["question_id"] == on_screen["question_id"]
    assert snapshot["current_question"]["options"] == on_screen["options"]

    conn = candidate_connect(user=user, test=test)
    replay = answer_submit(conn=conn, question_id=first["question_id"], selected_option=0, ref="a1")
    assert [m["type"] for m in replay.messages] == ["answer_feedback", "progress_update", "question"]
    answer_submit(conn=conn, question_id=on_screen["question_id"], selected_option=1, ref="a2")
    attempt = Assessment.objects.get(candidate=user)
    assert _state_of(attempt) == _rows_of(attempt)
    assert [a.ref for a in progress_of(assessment=attempt).items if a.answered] == ["a1", "a2"]


def test_a_client_id_reused_for_another_answer_still_records_that_answer() -> None:
    """The id is kept with the first answer only: the unique index used to refuse the second answer."""
    test, user, _, second = _one_answered(questions=6, total=3, ref="1")
    conn = candidate_connect(user=user, test=test)

    reply = answer_submit(conn=conn, question_id=second["question_id"], selected_option=0, ref="1")

    assert [m["type"] for m in reply.messages] == ["answer_feedback", "progress_update", "question"]
    answered = Response.objects.filter(assessment__candidate=user, answered_at__isnull=False).order_by("position")
    assert [r.client_msg_id for r in answered] == ["1", None]
    again = answer_submit(conn=conn, question_id=second["question_id"], selected_option=2, ref="1")
    assert again.messages == reply.messages  # a repeat of that answer is still recognised, by its question


def test_the_next_attempt_follows_the_highest_number_even_when_an_earlier_one_was_deleted() -> None:
    """Counting the rows would give the next attempt a number already taken (an admin deleted attempt 1)."""
    test = published_test_with_bank(questions=6, total_questions=2, max_attempts=3)
    user = enrolled_candidate(test=test)
    attempt_play(test=test, user=user, choose=lambda response, n: 0)
    attempt_play(test=test, user=user, choose=lambda response, n: 0)
    Assessment.objects.filter(candidate=user, attempt_number=1).delete()

    third = attempt_play(test=test, user=user, choose=lambda response, n: 0)

    assert third.attempt_number == 3
    assert third.status == Assessment.Status.COMPLETED


def test_an_answer_graded_with_a_bank_that_changed_meanwhile_is_graded_again(monkeypatch) -> None:
    """On PostgreSQL the test row joined to the attempt's lock is as old as the statement: a key changed
    while the answer waited for the lock must not grade it. The save notices, and the answer runs again."""
    from assessments.selectors.bank import bank_for
    from assessments.services import answers
    from assessments.services.bank_versions import bank_changed

    test, user, _, on_screen = _one_answered(questions=6, total=3, ref="a1")
    conn = candidate_connect(user=user, test=test)
    question = Question.objects.get(pk=on_screen["question_id"])
    before = Test.objects.get(pk=test.pk)
    bank_for(test=before)  # this process holds the bank as it was
    new_key = question.options.index(on_screen["options"][0])  # the option served first becomes the key
    Question.objects.filter(pk=question.pk).update(correct_option=new_key)  # a regrade, committed
    bank_changed(test_id=test.pk)
    real_lock = answers.attempt_latest_locked
    versions: list[int] = []

    def lock_with_the_test_row_of_before(*, conn: Any) -> Any:
        assessment = real_lock(conn=conn)
        assert assessment is not None
        if not versions:
            assessment.test.bank_version = before.bank_version  # what a statement that waited still sees
        versions.append(assessment.test.bank_version)
        return assessment

    monkeypatch.setattr(answers, "attempt_latest_locked", lock_with_the_test_row_of_before)
    reply = answer_submit(conn=conn, question_id=question.pk, selected_option=0, ref="a2")

    assert versions == [before.bank_version, Test.objects.get(pk=test.pk).bank_version]
    assert next(m for m in reply.messages if m["type"] == "answer_feedback")["data"]["correct"] is True
    response = Response.objects.get(assessment__candidate=user, question=question)
    assert (response.is_correct, response.client_msg_id) == (True, "a2")


def test_a_whole_row_save_of_an_attempt_read_before_an_answer_keeps_its_working_state() -> None:
    """The admin saves whole rows: written back, an older state would forget the answer."""
    test, user, _, on_screen = _one_answered(questions=6, total=3, ref="a1")
    read_earlier = Assessment.objects.get(candidate=user)
    conn = candidate_connect(user=user, test=test)
    answer_submit(conn=conn, question_id=on_screen["question_id"], selected_option=0, ref="a2")

    read_earlier.end_reason = "noted by a recruiter"
    read_earlier.save()

    attempt = Assessment.objects.get(pk=read_earlier.pk)
    assert attempt.end_reason == "noted by a recruiter"
    assert _state_of(attempt) == _rows_of(attempt)
    assert progress_of(assessment=attempt).answered == 2
