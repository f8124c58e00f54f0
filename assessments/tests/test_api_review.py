"""GET /api/my/assessments/{id}/review/: a candidate's own finished attempt, question by question, as far
as the test's feedback mode allows, and nothing while it runs or for someone else's attempt."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from assessments.models import Assessment, Question, Response, Test
from assessments.tests.backoffice_factories import attempt_with_answers, wrong_option
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


def attempt(mode: str, status: str = Assessment.Status.COMPLETED) -> tuple[Assessment, Test]:
    test = published_test_with_bank(questions=3, total_questions=3, feedback_mode=mode)
    q1, q2, q3 = test.questions.all()[:3]
    return attempt_with_answers(test=test, answers={q1: True, q2: False, q3: None}, status=status), test


def review_of(assessment: Assessment, user: Any = None) -> Any:
    client = APIClient()
    client.force_authenticate(user or assessment.candidate)
    return client.get(f"/api/my/assessments/{assessment.pk}/review/")


def test_full_feedback_shows_each_answer_the_right_one_and_why() -> None:
    assessment, test = attempt(Test.FeedbackMode.FULL)
    q1, q2, _unanswered = test.questions.all()[:3]

    body = review_of(assessment).json()

    assert body["feedback_mode"] == "full"
    first, second, third = body["questions"]
    assert [q["position"] for q in body["questions"]] == [1, 2, 3]
    assert (first["prompt"], first["correct"], first["chosen"], first["key"]) == (
        q1.prompt,
        True,
        [q1.correct_option],
        [q1.correct_option],
    )
    assert first["explanation"] == q1.explanation
    assert (second["correct"], second["chosen"], second["key"]) == (False, [wrong_option(q2)], [q2.correct_option])
    assert second["options"] == q2.option_list  # served in stored order by the factory
    assert (third["correct"], third["chosen"], third["credit"]) == (None, [], None)  # asked, not answered


def test_correctness_feedback_hides_the_keys_and_no_feedback_shows_nothing() -> None:
    correctness, _ = attempt(Test.FeedbackMode.CORRECTNESS)
    hidden, _ = attempt(Test.FeedbackMode.NONE)

    questions = review_of(correctness).json()["questions"]
    none = review_of(hidden).json()

    assert [q["correct"] for q in questions] == [True, False, None]
    assert not any("key" in q or "explanation" in q for q in questions)
    assert none == {"feedback_mode": "none", "questions": []}


def test_a_running_attempt_and_someone_elses_have_no_review() -> None:
    running, _ = attempt(Test.FeedbackMode.FULL, status=Assessment.Status.IN_PROGRESS)
    finished, _ = attempt(Test.FeedbackMode.FULL)

    assert review_of(running).json()["questions"] == []
    other = review_of(finished, user=UserFactory.create())
    assert (other.status_code, other.json()["code"]) == (404, "assessment_not_found")


def test_a_partly_right_multi_select_answer_shows_every_key_and_the_credit() -> None:
    assessment, test = attempt(Test.FeedbackMode.FULL)
    question = test.questions.all()[0]
    Question.objects.filter(pk=question.pk).update(
        kind=Question.Kind.MULTIPLE, options=["GET", "POST", "HEAD", "PATCH"], correct_options=[0, 2], correct_option=0
    )
    Response.objects.filter(assessment=assessment, question=question).update(
        selected_options=[0, 1], selected_option=0, is_correct=False, credit=0.0
    )
    Response.objects.filter(assessment=assessment, question=test.questions.all()[1]).update(credit=0.5)

    first, second, _third = review_of(assessment).json()["questions"]

    assert (first["chosen"], first["key"], first["correct"]) == ([0, 1], [0, 2], False)
    assert second["credit"] == 0.5
